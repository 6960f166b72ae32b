/*
 * bcryptprimitives.dll for Wine 8.0, which does not ship one.
 *
 * Go's runtime (since Go 1.24) reads random bytes through ProcessPrng from
 * bcryptprimitives.dll and aborts at start when the DLL or the export is
 * missing. Windows 10 and later ship it; Debian's Wine 8.0 does not (it came
 * with Wine 9). This shim forwards ProcessPrng to BCryptGenRandom in
 * bcrypt.dll, which Wine has, so that onair.exe and Go test binaries run in
 * the Wine test lane (.ci/windows/setup.sh builds and installs it). It is a
 * test fixture only: nothing ships it.
 *
 * ProcessPrng: https://learn.microsoft.com/windows/win32/seccng/processprng
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
