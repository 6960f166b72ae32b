//go:build windows

package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// controlFile is what the Windows daemon writes where a Unix socket would be:
// the loopback address and a per-start secret. Anyone who can read it can
// drive the daemon, so it gets its own DACL (controlFileSDDL) instead of
// the inherited one: under C:\ProgramData the inherited ACL lets every user
// read files.
type controlFile struct {
	Addr   string `json:"addr"`
	Secret string `json:"secret"`
}

// controlFileSDDL is the control file's DACL: protected (P: no inherited
// ACEs) and full access (FA) for the file's owner (OW, the Owner Rights SID
// S-1-3-4), LocalSystem (SY) and the Administrators group (BA), nobody
// else. That is the 0600 of the Unix socket plus the accounts that
// administer the machine. SDDL ACE strings:
// https://learn.microsoft.com/windows/win32/secauthz/ace-strings
const controlFileSDDL = "D:P(A;;FA;;;OW)(A;;FA;;;SY)(A;;FA;;;BA)"

func listenControl(path string) (net.Listener, string, func(), error) {
	if err := ensureDir(path); err != nil {
		return nil, "", nil, err
	}
	if b, err := os.ReadFile(path); err == nil {
		var cf controlFile
		if json.Unmarshal(b, &cf) == nil {
			if c, err := net.Dial("tcp", cf.Addr); err == nil {
				c.Close()
				return nil, "", nil, fmt.Errorf("another onair is already running (%s answers); stop it first, or run `onair status`", cf.Addr)
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	b := make([]byte, 32)
	rand.Read(b) // never fails since Go 1.24 (https://pkg.go.dev/crypto/rand#Read)
	cf := controlFile{Addr: ln.Addr().String(), Secret: hex.EncodeToString(b)}
	data, _ := json.Marshal(cf)
	if err := writePrivateFile(path, data); err != nil {
		ln.Close()
		return nil, "", nil, fmt.Errorf("write control file: %w", err)
	}
	return ln, cf.Secret, func() { os.Remove(path) }, nil
}

// writePrivateFile creates path anew with the controlFileSDDL DACL and
// writes data. A leftover file (a crashed daemon's) is removed first:
// CreateFile applies a security descriptor only when it creates the file,
// an overwritten file keeps its old ACL.
func writePrivateFile(path string, data []byte) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(controlFileSDDL)
	if err != nil {
		return fmt.Errorf("security descriptor %s: %w", controlFileSDDL, err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	h, err := windows.CreateFile(name, windows.GENERIC_WRITE, 0, sa,
		windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return &fs.PathError{Op: "create", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(h), path)
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func dialControl(path string) (*http.Client, string, string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrPermission) {
		return nil, "", "", fmt.Errorf("cannot read the control file %s: permission denied; it belongs to another user or to the system service (for the system service run the command as an administrator: onair --system status)", path)
	}
	if err != nil {
		return nil, "", "", fmt.Errorf("%w (no control file at %s): start it with `onair run` or `onair service start`", ErrNotRunning, path)
	}
	var cf controlFile
	if err := json.Unmarshal(b, &cf); err != nil || cf.Addr == "" {
		return nil, "", "", errors.New("control file " + path + " is damaged: restart onair")
	}
	return &http.Client{}, "http://" + cf.Addr, cf.Secret, nil
}
