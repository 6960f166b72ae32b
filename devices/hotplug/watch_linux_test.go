package hotplug

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestUSBIDAbove(t *testing.T) {
	sys := t.TempDir()
	dev := filepath.Join(sys, "devices/pci0000:00/0000:00:14.0/usb1/1-3")
	tty := filepath.Join(dev, "1-3:1.0/tty/ttyACM0")
	if err := os.MkdirAll(tty, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dev, "idVendor"), []byte("2047\n"), 0o644)
	os.WriteFile(filepath.Join(dev, "idProduct"), []byte("03df\n"), 0o644)
	if v, p, ok := usbIDAbove(sys, "/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/tty/ttyACM0"); !ok || v != 0x2047 || p != 0x03DF {
		t.Errorf("usbIDAbove = %04x:%04x %v", v, p, ok)
	}
	if _, _, ok := usbIDAbove(sys, "/devices/platform/serial8250/tty/ttyS0"); ok {
		t.Error("usbIDAbove found an ID for a platform UART")
	}
	// A DEVPATH cannot climb out of /sys/devices.
	if _, _, ok := usbIDAbove(sys, "/../../etc"); ok {
		t.Error("usbIDAbove left sysfs")
	}
}

// TestNetlinkSocket opens the real uevent socket and makes the kernel send
// an event by writing "add" to /sys/class/mem/null/uevent (the kernel's
// Documentation/ABI/testing/sysfs-uevent: a synthetic uevent). It needs
// netlink access and a writable sysfs (root); without them it skips.
func TestNetlinkSocket(t *testing.T) {
	s, err := openUevents()
	if err != nil {
		t.Skipf("no uevent socket here (%v): the daemon would fall back to a slow rescan", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mem := make(chan uevent, 16)
	ch := run(ctx, s, func(u uevent) (Event, bool) {
		if u.Subsystem == "mem" {
			select {
			case mem <- u:
			default:
			}
			return Event{Action: Add, Subsystem: u.Subsystem, Path: u.DevPath}, true
		}
		return toEvent(u, sysfsID)
	})
	if err := os.WriteFile("/sys/class/mem/null/uevent", []byte("add"), 0); err != nil {
		t.Skipf("cannot inject a uevent (%v): needs root and a writable /sys", err)
	}
	// The kernel delivers at once; the timer only bounds a broken test.
	timeout := time.After(10 * time.Second)
	for {
		select {
		case u := <-mem:
			if u.Action != "add" || u.DevPath != "/devices/virtual/mem/null" {
				t.Fatalf("got %+v", u)
			}
			// ... and the event reached the channel too.
			for e := range ch {
				if e.Subsystem == "mem" {
					cancel()
					for range ch {
					}
					return
				}
			}
			t.Fatal("channel closed before the mem event")
		case <-timeout:
			t.Skip("no uevent arrived within 10 s of the injection: this kernel or sandbox does not broadcast synthetic uevents to this network namespace")
		}
	}
}

// TestWatchCloses checks that cancelling the context closes the channel.
func TestWatchCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := Watch(ctx)
	if err != nil {
		if !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Watch error %v does not wrap ErrUnsupported", err)
		}
		t.Skipf("Watch: %v", err)
	}
	cancel()
	for range ch {
	}
}
