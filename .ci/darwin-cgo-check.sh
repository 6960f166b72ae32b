#!/usr/bin/env bash
# Compiles the cgo code that only a Mac builds (devices/hotplug's IOKit
# watcher, watch_darwin.go) for darwin/arm64 and darwin/amd64 here, without
# the macOS SDK: cgo translates the file, clang compiles its C for the
# Apple targets (-Werror), and the Go compiler type-checks the package. The
# SDK's headers are stood in for by declarations of just the functions,
# types and constants the file uses, written here as Apple's IOKitLib.h,
# CoreFoundation and libc declare them. This catches a typo, a wrong type
# or a Go/C mismatch before a Mac does; it cannot catch a declaration that
# differs from the real SDK, and it runs nothing (make release-macos on a
# Mac builds and `go test ./devices/hotplug` there runs TestWatchIOKit).
#
# Needs clang (Debian: clang). Environment: GO.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
if ! command -v clang >/dev/null; then
  if [ "${ONAIR_REQUIRE_TOOLS:-}" = 1 ]; then
    echo "darwin-cgo-check: clang not found (ONAIR_REQUIRE_TOOLS=1); apt-get install clang" >&2
    exit 1
  fi
  echo "darwin-cgo-check: SKIP, clang not found (apt-get install clang)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inc=$tmp/include
mkdir -p "$inc/CoreFoundation" "$inc/IOKit"

cat >"$inc/stdlib.h" <<'EOF'
#pragma once
#include <stddef.h>
void *calloc(size_t, size_t);
void *malloc(size_t);
void free(void *);
void abort(void);
EOF
cat >"$inc/string.h" <<'EOF'
#pragma once
#include <stddef.h>
void *memset(void *, int, size_t);
void *memcpy(void *, const void *, size_t);
size_t strlen(const char *);
EOF
cat >"$inc/unistd.h" <<'EOF'
#pragma once
#include <stddef.h>
typedef long ssize_t;
ssize_t write(int, const void *, size_t);
int close(int);
EOF
cat >"$inc/fcntl.h" <<'EOF'
#pragma once
#define F_GETFL 3
#define F_SETFL 4
#define F_SETNOSIGPIPE 73
#define O_NONBLOCK 0x0004
int fcntl(int, int, ...);
EOF
# cgo's own prologue includes errno.h.
cat >"$inc/errno.h" <<'EOF'
#pragma once
extern int *__error(void);
#define errno (*__error())
EOF
touch "$inc/stdio.h"
cat >"$inc/CoreFoundation/CoreFoundation.h" <<'EOF'
#pragma once
#include <stdint.h>
typedef unsigned char Boolean;
typedef int32_t SInt32;
typedef long CFIndex;
typedef unsigned long CFTypeID;
typedef unsigned long CFHashCode;
typedef uint32_t CFStringEncoding;
typedef const void *CFTypeRef;
typedef const struct __CFAllocator *CFAllocatorRef;
typedef const struct __CFString *CFStringRef;
typedef struct __CFDictionary *CFMutableDictionaryRef;
typedef const struct __CFNumber *CFNumberRef;
typedef struct __CFRunLoop *CFRunLoopRef;
typedef struct __CFRunLoopSource *CFRunLoopSourceRef;
typedef CFStringRef CFRunLoopMode;
typedef CFIndex CFNumberType;
enum { kCFNumberSInt32Type = 3 };
enum { kCFStringEncodingUTF8 = 0x08000100 };
extern const CFAllocatorRef kCFAllocatorDefault;
extern const CFRunLoopMode kCFRunLoopDefaultMode;
typedef struct {
	CFIndex version;
	void *info;
	const void *(*retain)(const void *info);
	void (*release)(const void *info);
	CFStringRef (*copyDescription)(const void *info);
	Boolean (*equal)(const void *info1, const void *info2);
	CFHashCode (*hash)(const void *info);
	void (*schedule)(void *info, CFRunLoopRef rl, CFRunLoopMode mode);
	void (*cancel)(void *info, CFRunLoopRef rl, CFRunLoopMode mode);
	void (*perform)(void *info);
} CFRunLoopSourceContext;
CFStringRef CFStringCreateWithCString(CFAllocatorRef alloc, const char *cStr, CFStringEncoding encoding);
void CFRelease(CFTypeRef cf);
CFTypeRef CFRetain(CFTypeRef cf);
CFTypeID CFGetTypeID(CFTypeRef cf);
CFTypeID CFNumberGetTypeID(void);
Boolean CFNumberGetValue(CFNumberRef number, CFNumberType theType, void *valuePtr);
CFRunLoopRef CFRunLoopGetCurrent(void);
CFRunLoopSourceRef CFRunLoopSourceCreate(CFAllocatorRef allocator, CFIndex order, CFRunLoopSourceContext *context);
void CFRunLoopAddSource(CFRunLoopRef rl, CFRunLoopSourceRef source, CFRunLoopMode mode);
void CFRunLoopRemoveSource(CFRunLoopRef rl, CFRunLoopSourceRef source, CFRunLoopMode mode);
void CFRunLoopRun(void);
void CFRunLoopStop(CFRunLoopRef rl);
void CFRunLoopSourceSignal(CFRunLoopSourceRef source);
void CFRunLoopWakeUp(CFRunLoopRef rl);
EOF
cat >"$inc/IOKit/IOKitLib.h" <<'EOF'
#pragma once
#include <CoreFoundation/CoreFoundation.h>
typedef unsigned int mach_port_t;
typedef int kern_return_t;
typedef kern_return_t IOReturn;
typedef uint32_t IOOptionBits;
typedef mach_port_t io_object_t;
typedef io_object_t io_iterator_t;
typedef io_object_t io_registry_entry_t;
typedef char io_name_t[128];
typedef struct IONotificationPort *IONotificationPortRef;
typedef void (*IOServiceMatchingCallback)(void *refcon, io_iterator_t iterator);
#define KERN_SUCCESS 0
#define MACH_PORT_NULL 0
#define kIOFirstMatchNotification "IOServiceFirstMatch"
#define kIOTerminatedNotification "IOServiceTerminate"
#define kIOReturnNoMemory ((IOReturn)0xe00002bd)
#define kIOReturnNoResources ((IOReturn)0xe00002be)
CFMutableDictionaryRef IOServiceMatching(const char *name);
kern_return_t IOServiceAddMatchingNotification(IONotificationPortRef notifyPort, const io_name_t notificationType, CFMutableDictionaryRef matching, IOServiceMatchingCallback callback, void *refCon, io_iterator_t *notification);
IONotificationPortRef IONotificationPortCreate(mach_port_t mainPort);
CFRunLoopSourceRef IONotificationPortGetRunLoopSource(IONotificationPortRef notify);
void IONotificationPortDestroy(IONotificationPortRef notify);
io_object_t IOIteratorNext(io_iterator_t iterator);
kern_return_t IOObjectRelease(io_object_t object);
CFTypeRef IORegistryEntryCreateCFProperty(io_registry_entry_t entry, CFStringRef key, CFAllocatorRef allocator, IOOptionBits options);
EOF

# runtime/cgo's darwin C needs the real SDK; the generated Go needs only
# its Incomplete type to type-check.
cat >"$tmp/fakecgo.go" <<'EOF'
package cgo

type Incomplete struct{ _ [0]byte }
EOF

pkg=github.com/onair-dev/onair/devices/hotplug
dir=devices/hotplug
for arch in arm64 amd64; do
  target=$([ "$arch" = arm64 ] && echo arm64-apple-macos11 || echo x86_64-apple-macos11)
  cflags=(-target "$target" -nostdinc -isystem "$inc" -isystem "$(clang -print-resource-dir)/include")
  out=$tmp/$arch
  mkdir -p "$out"
  cgofiles=$(cd "$dir" && GOOS=darwin GOARCH=$arch CGO_ENABLED=1 $GO list -f '{{join .CgoFiles " "}}' .)
  gofiles=$(cd "$dir" && GOOS=darwin GOARCH=$arch CGO_ENABLED=1 $GO list -f '{{join .GoFiles " "}}' .)
  [ -n "$cgofiles" ] || { echo "darwin-cgo-check: $pkg has no cgo files for darwin/$arch" >&2; exit 1; }
  (cd "$dir" && GOOS=darwin GOARCH=$arch CC=clang $GO tool cgo -objdir "$out" -importpath "$pkg" -- "${cflags[@]}" $cgofiles)
  for c in "$out"/*.cgo2.c "$out"/_cgo_export.c; do
    clang "${cflags[@]}" -I"$out" -Wall -Wextra -Wno-unused-parameter -Werror -c "$c" -o "$c.o"
  done
  # Export data of the imports, cgo-free (enough to type-check against).
  imports=$(cd "$dir" && GOOS=darwin GOARCH=$arch CGO_ENABLED=1 $GO list -f '{{join .Imports " "}}' . | tr ' ' '\n' | grep -vx 'C\|unsafe' | tr '\n' ' ')
  GOOS=darwin GOARCH=$arch CGO_ENABLED=0 $GO list -export -deps -f '{{if .Export}}packagefile {{.ImportPath}}={{.Export}}{{end}}' $imports syscall >"$out/importcfg"
  GOOS=darwin GOARCH=$arch $GO tool compile -p runtime/cgo -o "$out/fakecgo.a" "$tmp/fakecgo.go"
  echo "packagefile runtime/cgo=$out/fakecgo.a" >>"$out/importcfg"
  gen=()
  for f in $cgofiles; do gen+=("$out/${f%.go}.cgo1.go"); done
  (cd "$dir" && GOOS=darwin GOARCH=$arch $GO tool compile -p "$pkg" -importcfg "$out/importcfg" -o "$out/pkg.a" $gofiles "${gen[@]}" "$out/_cgo_gotypes.go")
  echo "darwin-cgo-check: $pkg darwin/$arch: C compiled, Go type-checked ($cgofiles)"
done
