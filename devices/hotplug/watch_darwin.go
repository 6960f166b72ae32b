//go:build darwin && cgo

package hotplug

// Device arrival and removal on macOS come from IOKit matching
// notifications: IOServiceAddMatchingNotification with
// kIOFirstMatchNotification and kIOTerminatedNotification on an
// IONotificationPort whose run loop source runs on a CFRunLoop of its own
// thread (Apple's IOKitLib.h; the same calls as libusb's darwin backend,
// libusb/os/darwin_usb.c, darwin_event_thread_main). Four classes are
// watched, as Linux watches usb, hid and tty uevents:
//
//   - IOUSBHostDevice (the USB stack of OS X 10.11 and later) and
//     IOUSBDevice (the older one; a class that does not exist simply never
//     matches): the device, with idVendor and idProduct;
//   - IOHIDDevice: the HID interface hidapi opens, which appears after the
//     device, with VendorID and ProductID;
//   - IOSerialBSDClient: the /dev/cu.* node of a serial light, which
//     appears last and carries no USB ID.
//
// The callbacks run on that thread. They write a fixed-size record per
// matched object to a non-blocking pipe that a goroutine reads, so no C
// thread ever calls into Go and a slow reader costs an Overflow, never a
// blocked run loop.

/*
#cgo LDFLAGS: -framework IOKit -framework CoreFoundation
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CoreFoundation/CoreFoundation.h>
#include <IOKit/IOKitLib.h>

// The record's values; iokit.go decodes them (recAdd, …), and the
// assertions after import "C" fail to compile if the two drift.
enum { onair_add = 1, onair_remove = 2 };
enum { onair_usb = 1, onair_hid = 2, onair_tty = 3 };
enum { onair_max = 8 };

// onair_rec is what a callback writes to the pipe (iokit.go).
struct onair_rec {
	uint8_t action, kind, has_id, lost;
	uint16_t vid, pid;
};

struct onair_watch;

struct onair_ctx {
	struct onair_watch *w;
	uint8_t action, kind;
};

struct onair_watch {
	int fd;   // the pipe's write end
	int lost; // a record could not be written (pipe full)
	CFRunLoopRef loop;
	CFRunLoopSourceRef stop;
	IONotificationPortRef port;
	int n;
	io_iterator_t iters[onair_max];
	struct onair_ctx ctx[onair_max];
};

// onair_u16 reads a CFNumber property of a registry entry.
static int onair_u16(io_object_t o, const char *key, uint16_t *out) {
	CFStringRef k = CFStringCreateWithCString(kCFAllocatorDefault, key, kCFStringEncodingUTF8);
	if (k == NULL) {
		return 0;
	}
	CFTypeRef v = IORegistryEntryCreateCFProperty(o, k, kCFAllocatorDefault, 0);
	CFRelease(k);
	if (v == NULL) {
		return 0;
	}
	int ok = 0;
	SInt32 n = 0;
	if (CFGetTypeID(v) == CFNumberGetTypeID() && CFNumberGetValue((CFNumberRef)v, kCFNumberSInt32Type, &n) && n >= 0 && n <= 0xFFFF) {
		*out = (uint16_t)n;
		ok = 1;
	}
	CFRelease(v);
	return ok;
}

static void onair_send(struct onair_watch *w, struct onair_rec r) {
	r.lost = (uint8_t)w->lost;
	w->lost = write(w->fd, &r, sizeof r) != (ssize_t)sizeof r;
}

// onair_matched is the IOServiceMatchingCallback. Reading the iterator to
// its end re-arms the notification.
static void onair_matched(void *refcon, io_iterator_t it) {
	struct onair_ctx *c = refcon;
	io_object_t o;
	while ((o = IOIteratorNext(it)) != 0) {
		struct onair_rec r;
		memset(&r, 0, sizeof r);
		r.action = c->action;
		r.kind = c->kind;
		switch (c->kind) {
		case onair_usb:
			r.has_id = onair_u16(o, "idVendor", &r.vid) && onair_u16(o, "idProduct", &r.pid);
			break;
		case onair_hid:
			r.has_id = onair_u16(o, "VendorID", &r.vid) && onair_u16(o, "ProductID", &r.pid);
			break;
		}
		IOObjectRelease(o);
		onair_send(c->w, r);
	}
}

static void onair_drain(io_iterator_t it) {
	io_object_t o;
	while ((o = IOIteratorNext(it)) != 0) {
		IOObjectRelease(o);
	}
}

static void onair_stop_perform(void *info) {
	CFRunLoopStop((CFRunLoopRef)info);
}

static struct onair_watch *onair_watch_new(int fd) {
	struct onair_watch *w = calloc(1, sizeof *w);
	if (w == NULL) {
		return NULL;
	}
	w->fd = fd;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0) {
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	// A write after the reader is gone fails with EPIPE instead of
	// raising SIGPIPE.
	fcntl(fd, F_SETNOSIGPIPE, 1);
	return w;
}

static kern_return_t onair_watch_add(struct onair_watch *w, const char *class, uint8_t action, uint8_t kind) {
	if (w->n == onair_max) {
		return kIOReturnNoResources;
	}
	CFMutableDictionaryRef m = IOServiceMatching(class);
	if (m == NULL) {
		return kIOReturnNoMemory;
	}
	int i = w->n;
	w->ctx[i].w = w;
	w->ctx[i].action = action;
	w->ctx[i].kind = kind;
	// IOServiceAddMatchingNotification consumes the matching dictionary.
	kern_return_t kr = IOServiceAddMatchingNotification(w->port,
		action == onair_add ? kIOFirstMatchNotification : kIOTerminatedNotification,
		m, onair_matched, &w->ctx[i], &w->iters[i]);
	if (kr != KERN_SUCCESS) {
		return kr;
	}
	w->n++;
	// The iterator starts with what is already there; reading it through
	// arms the notification without reporting those.
	onair_drain(w->iters[i]);
	return KERN_SUCCESS;
}

// onair_watch_open attaches the notifications to the calling thread's run
// loop.
static kern_return_t onair_watch_open(struct onair_watch *w) {
	w->loop = CFRunLoopGetCurrent();
	CFRetain(w->loop);
	CFRunLoopSourceContext sc;
	memset(&sc, 0, sizeof sc);
	sc.info = (void *)w->loop;
	sc.perform = onair_stop_perform;
	w->stop = CFRunLoopSourceCreate(kCFAllocatorDefault, 0, &sc);
	if (w->stop == NULL) {
		return kIOReturnNoMemory;
	}
	CFRunLoopAddSource(w->loop, w->stop, kCFRunLoopDefaultMode);
	// MACH_PORT_NULL is kIOMainPortDefault (macOS 12), formerly
	// kIOMasterPortDefault.
	w->port = IONotificationPortCreate(MACH_PORT_NULL);
	if (w->port == NULL) {
		return kIOReturnNoMemory;
	}
	CFRunLoopAddSource(w->loop, IONotificationPortGetRunLoopSource(w->port), kCFRunLoopDefaultMode);
	static const struct {
		const char *class;
		uint8_t kind;
	} classes[] = {
		{"IOUSBHostDevice", onair_usb},
		{"IOUSBDevice", onair_usb},
		{"IOHIDDevice", onair_hid},
		{"IOSerialBSDClient", onair_tty},
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		kern_return_t kr = onair_watch_add(w, classes[i].class, onair_add, classes[i].kind);
		if (kr == KERN_SUCCESS) {
			kr = onair_watch_add(w, classes[i].class, onair_remove, classes[i].kind);
		}
		if (kr != KERN_SUCCESS) {
			return kr;
		}
	}
	return KERN_SUCCESS;
}

// onair_watch_run returns once onair_watch_stop was called.
static void onair_watch_run(void) {
	CFRunLoopRun();
}

static void onair_watch_stop(struct onair_watch *w) {
	CFRunLoopSourceSignal(w->stop);
	CFRunLoopWakeUp(w->loop);
}

// onair_watch_close releases everything and closes the pipe, on the thread
// that opened it.
static void onair_watch_close(struct onair_watch *w) {
	for (int i = 0; i < w->n; i++) {
		IOObjectRelease(w->iters[i]);
	}
	if (w->port != NULL) {
		CFRunLoopRemoveSource(w->loop, IONotificationPortGetRunLoopSource(w->port), kCFRunLoopDefaultMode);
		IONotificationPortDestroy(w->port);
	}
	if (w->stop != NULL) {
		CFRunLoopRemoveSource(w->loop, w->stop, kCFRunLoopDefaultMode);
		CFRelease(w->stop);
	}
	if (w->loop != NULL) {
		CFRelease(w->loop);
	}
	close(w->fd);
	free(w);
}
*/
import "C"

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// Compile-time assertions: indexing a one-element array with a constant
// other than 0 does not compile.
var (
	_ = [1]int{}[C.sizeof_struct_onair_rec-recSize]
	_ = [1]int{}[C.onair_add-recAdd]
	_ = [1]int{}[C.onair_remove-recRemove]
	_ = [1]int{}[C.onair_usb-recUSB]
	_ = [1]int{}[C.onair_hid-recHID]
	_ = [1]int{}[C.onair_tty-recTTY]
)

func watch(ctx context.Context) (<-chan Event, error) {
	// darwin has no pipe2: hold ForkLock so that no child started in
	// between inherits the pipe (as os.Pipe does).
	var p [2]int
	syscall.ForkLock.RLock()
	err := syscall.Pipe(p[:])
	if err == nil {
		syscall.CloseOnExec(p[0])
		syscall.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("%w: pipe for IOKit notifications: %v", ErrUnsupported, err)
	}
	// A non-blocking fd handed to os.NewFile joins the runtime poller, so
	// the reader parks instead of holding a thread.
	if err := syscall.SetNonblock(p[0], true); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, fmt.Errorf("%w: pipe for IOKit notifications: %v", ErrUnsupported, err)
	}
	r := os.NewFile(uintptr(p[0]), "iokit-notifications")

	opened := make(chan error, 1)
	go func() {
		// A CFRunLoop belongs to its thread. The goroutine never unlocks:
		// when it returns, the runtime ends the thread and its run loop
		// with it.
		runtime.LockOSThread()
		w := C.onair_watch_new(C.int(p[1]))
		if w == nil {
			syscall.Close(p[1])
			opened <- fmt.Errorf("%w: out of memory for the IOKit watcher", ErrUnsupported)
			return
		}
		if kr := C.onair_watch_open(w); kr != C.KERN_SUCCESS {
			C.onair_watch_close(w) // closes p[1]
			opened <- fmt.Errorf("%w: IOKit matching notifications: kern_return_t %#x", ErrUnsupported, uint32(kr))
			return
		}
		stopped := make(chan struct{})
		go func() {
			<-ctx.Done()
			C.onair_watch_stop(w)
			close(stopped)
		}()
		opened <- nil
		C.onair_watch_run()
		// The run loop stops only on onair_watch_stop; w stays valid
		// until that call has returned.
		<-stopped
		C.onair_watch_close(w)
	}()
	if err := <-opened; err != nil {
		r.Close()
		return nil, err
	}

	out := make(chan Event)
	go func() {
		defer close(out)
		defer r.Close()
		buf := make([]byte, recSize*64)
		for {
			// The read end closes only after the C side closed the write
			// end (EOF), so a callback never writes to a pipe nobody
			// holds.
			n, err := r.Read(buf)
			if err != nil {
				return
			}
			// Every write is one whole record, so the pipe holds and a
			// read returns whole records.
			for b := buf[:n]; len(b) >= recSize; b = b[recSize:] {
				if ctx.Err() != nil {
					continue // draining until the C side closes
				}
				e, ok := decodeRec(b)
				if !ok {
					continue
				}
				select {
				case out <- e:
				case <-ctx.Done():
				}
			}
		}
	}()
	return out, nil
}
