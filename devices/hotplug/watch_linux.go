package hotplug

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// netlinkKernelGroup is the multicast group the kernel sends uevents to
// (lib/kobject_uevent.c); udevd re-broadcasts processed events on group 2.
const netlinkKernelGroup = 1

// rcvBuf is the socket receive buffer asked for: plugging a hub in yields a
// burst of events, and a full buffer loses them (ENOBUFS → Overflow).
const rcvBuf = 1 << 20

// uevents is an open NETLINK_KOBJECT_UEVENT socket.
type uevents struct {
	f  *os.File
	rc syscall.RawConn
}

// openUevents opens and binds the socket. It fails in containers and
// sandboxes that forbid AF_NETLINK or the uevent family.
func openUevents() (*uevents, error) {
	fd, err := syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, syscall.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("netlink uevent socket: %w", err)
	}
	// A smaller buffer than asked for is fine; the kernel caps it at
	// net.core.rmem_max.
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
	if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK, Groups: netlinkKernelGroup}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("netlink uevent bind: %w", err)
	}
	// A non-blocking fd handed to os.NewFile joins the runtime poller, so
	// reads park the goroutine and Close interrupts them.
	f := os.NewFile(uintptr(fd), "netlink-uevent")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("netlink uevent: %w", err)
	}
	return &uevents{f: f, rc: rc}, nil
}

// errOverflow is returned by read when the kernel dropped datagrams.
var errOverflow = errors.New("uevent socket overflow")

// read returns the next datagram sent by the kernel (sender port 0); others
// (a process writing to the group) are skipped.
func (s *uevents) read(buf []byte) (int, error) {
	for {
		var n int
		var from syscall.Sockaddr
		var rerr error
		err := s.rc.Read(func(fd uintptr) bool {
			n, from, rerr = syscall.Recvfrom(int(fd), buf, 0)
			return rerr != syscall.EAGAIN
		})
		if err != nil {
			return 0, err
		}
		if rerr == syscall.ENOBUFS {
			return 0, errOverflow
		}
		if rerr == syscall.EINTR {
			continue
		}
		if rerr != nil {
			return 0, rerr
		}
		if nl, ok := from.(*syscall.SockaddrNetlink); ok && nl.Pid != 0 {
			continue
		}
		return n, nil
	}
}

func (s *uevents) close() error { return s.f.Close() }

func watch(ctx context.Context) (<-chan Event, error) {
	s, err := openUevents()
	if err != nil {
		return nil, fmt.Errorf("%w: %v (a container without netlink access?)", ErrUnsupported, err)
	}
	return run(ctx, s, func(u uevent) (Event, bool) { return toEvent(u, sysfsID) }), nil
}

// run reads uevents until ctx is done or the socket fails, converting each
// with conv, and closes the channel.
func run(ctx context.Context, s *uevents, conv func(uevent) (Event, bool)) <-chan Event {
	ch := make(chan Event, chanSize)
	stop := context.AfterFunc(ctx, func() { s.close() })
	go func() {
		defer close(ch)
		defer stop()
		defer s.close()
		buf := make([]byte, 16<<10) // UEVENT_BUFFER_SIZE is 2048
		lost := false
		for {
			n, err := s.read(buf)
			var e Event
			switch {
			case errors.Is(err, errOverflow):
				e = Event{Action: Overflow}
			case err != nil:
				return
			default:
				u, perr := parseUevent(buf[:n])
				if perr != nil {
					continue
				}
				var ok bool
				if e, ok = conv(u); !ok {
					continue
				}
			}
			if lost {
				e = Event{Action: Overflow}
			}
			select {
			case ch <- e:
				lost = false
			case <-ctx.Done():
				return
			default:
				lost = true // the caller is behind: it gets one Overflow
			}
		}
	}()
	return ch
}

// sysfsID finds the VID:PID of the USB device above a sysfs DEVPATH (a tty
// or hidraw node) by walking up to the directory with idVendor and
// idProduct, as the kernel lays out /sys/devices (Documentation/ABI/stable/
// sysfs-bus-usb).
func sysfsID(devpath string) (vid, pid uint16, ok bool) {
	return usbIDAbove("/sys", devpath)
}

func usbIDAbove(sys, devpath string) (vid, pid uint16, ok bool) {
	dir := filepath.Join(sys, filepath.Clean("/"+devpath))
	for strings.HasPrefix(dir, filepath.Join(sys, "devices")+"/") {
		v, err1 := os.ReadFile(filepath.Join(dir, "idVendor"))
		p, err2 := os.ReadFile(filepath.Join(dir, "idProduct"))
		if err1 == nil && err2 == nil {
			return hexPair(strings.TrimSpace(string(v)), strings.TrimSpace(string(p)))
		}
		dir = filepath.Dir(dir)
	}
	return 0, 0, false
}
