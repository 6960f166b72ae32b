package hotplug

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readSample reads a testdata uevent, written one field per line for
// reading, and returns it as the kernel sends it: NUL-terminated fields.
func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("\n"), []byte{0})
}

func TestParseUeventSamples(t *testing.T) {
	// sysID stands in for sysfs: the fit-statUSB's tty node lies under
	// 1-3, which is 2047:03DF.
	sysID := func(devpath string) (uint16, uint16, bool) {
		if strings.Contains(devpath, "/usb1/1-3/") {
			return 0x2047, 0x03DF, true
		}
		return 0, 0, false
	}
	for _, tt := range []struct {
		file     string
		want     Event
		ignored  bool
		relevant bool
	}{
		{file: "kuando-usb-device-add.uevent", relevant: true,
			want: Event{Action: Add, Subsystem: "usb", HasID: true, VID: 0x27BB, PID: 0x3BCD, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-2"}},
		{file: "kuando-usb-interface-add.uevent", relevant: true,
			want: Event{Action: Add, Subsystem: "usb", HasID: true, VID: 0x27BB, PID: 0x3BCD, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0"}},
		{file: "kuando-interface-bind.uevent", relevant: true,
			want: Event{Action: Add, Subsystem: "usb", HasID: true, VID: 0x27BB, PID: 0x3BCD, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0"}},
		{file: "kuando-hid-add.uevent", relevant: true,
			want: Event{Action: Add, Subsystem: "hid", HasID: true, VID: 0x27BB, PID: 0x3BCD, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:27BB:3BCD.0005"}},
		{file: "kuando-hidraw-add.uevent", relevant: true,
			want: Event{Action: Add, Subsystem: "hidraw", HasID: true, VID: 0x27BB, PID: 0x3BCD, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/0003:27BB:3BCD.0005/hidraw/hidraw2"}},
		{file: "fitstatusb-tty-add.uevent", relevant: true,
			want: Event{Action: Add, Subsystem: "tty", HasID: true, VID: 0x2047, PID: 0x03DF, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/tty/ttyACM0"}},
		// PRODUCT has no leading zeros: 3df is 03DF.
		{file: "fitstatusb-usb-device-remove.uevent", relevant: true,
			want: Event{Action: Remove, Subsystem: "usb", HasID: true, VID: 0x2047, PID: 0x03DF, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-3"}},
		// A keyboard is a USB event, but no light.
		{file: "keyboard-usb-device-add.uevent", relevant: false,
			want: Event{Action: Add, Subsystem: "usb", HasID: true, VID: 0x046D, PID: 0xC31C, Path: "/devices/pci0000:00/0000:00:14.0/usb1/1-4"}},
		{file: "uart-tty-add.uevent", ignored: true},
		{file: "mem-null-add.uevent", ignored: true},
		{file: "usb-device-change.uevent", ignored: true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			u, err := parseUevent(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if u.Env["SEQNUM"] == "" || u.Env["DEVPATH"] != u.DevPath || u.Env["ACTION"] != u.Action {
				t.Errorf("parsed %+v: header and fields disagree", u)
			}
			got, ok := toEvent(u, sysID)
			if ok == tt.ignored {
				t.Fatalf("toEvent kept = %v (%v), want %v", ok, got, !tt.ignored)
			}
			if tt.ignored {
				return
			}
			if got != tt.want {
				t.Errorf("toEvent =\n %+v\nwant\n %+v", got, tt.want)
			}
			if r := Relevant(got); r != tt.relevant {
				t.Errorf("Relevant(%v) = %v, want %v", got, r, tt.relevant)
			}
		})
	}
}

func TestParseUeventErrors(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     error
	}{
		{"empty", "", nil},
		{"libudev", "libudev\x00\xfe\xed\xca\xfe", errLibudev},
		{"no at", "add\x00ACTION=add\x00SUBSYSTEM=usb\x00", nil},
		{"no subsystem", "add@/devices/x\x00ACTION=add\x00DEVPATH=/devices/x\x00", nil},
		{"bad field", "add@/devices/x\x00SUBSYSTEM=usb\x00garbage\x00", nil},
		{"action mismatch", "add@/devices/x\x00ACTION=remove\x00SUBSYSTEM=usb\x00", nil},
	} {
		_, err := parseUevent([]byte(tt.in))
		if err == nil {
			t.Errorf("%s: parsed", tt.name)
		} else if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestIDParsers(t *testing.T) {
	if v, p, ok := parseProduct("303a/81df/100"); !ok || v != 0x303A || p != 0x81DF {
		t.Errorf("parseProduct = %x %x %v", v, p, ok)
	}
	for _, bad := range []string{"", "27bb/3bcd", "zz/1/0", "10000/1/0"} {
		if _, _, ok := parseProduct(bad); ok {
			t.Errorf("parseProduct(%q) ok", bad)
		}
	}
	if v, p, ok := parseHIDID("0003:000004D8:0000F372"); !ok || v != 0x04D8 || p != 0xF372 {
		t.Errorf("parseHIDID = %x %x %v", v, p, ok)
	}
	if _, _, ok := parseHIDID("0003:00010000:00000001"); ok {
		t.Error("parseHIDID accepted a VID over 16 bits")
	}
	if _, _, ok := hidNameID("/devices/virtual/misc/uhid/0003:BAD"); ok {
		t.Error("hidNameID accepted a malformed name")
	}
}

func TestEventString(t *testing.T) {
	e := Event{Action: Add, Subsystem: "usb", HasID: true, VID: 0x27BB, PID: 0x3BCD, Path: "/devices/x"}
	if got := e.String(); got != "add usb 27BB:3BCD /devices/x" {
		t.Errorf("String = %q", got)
	}
	if got := (Event{Action: Remove, Subsystem: "tty"}).String(); !strings.Contains(got, "????:????") {
		t.Errorf("String without ID = %q", got)
	}
	if !Relevant(Event{Action: Overflow}) || !Relevant(Event{Action: Add, Subsystem: "tty"}) {
		t.Error("overflow and ID-less events must be relevant")
	}
}

func TestLinkID(t *testing.T) {
	for _, tt := range []struct {
		link     string
		vid, pid uint16
		ok       bool
	}{
		{`\\?\HID#VID_27BB&PID_3BCD#7&1a2b3c4d&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`, 0x27BB, 0x3BCD, true},
		{`\\?\USB#VID_2047&PID_03DF#073BB04620002600#{a5dcbf10-6530-11d2-901f-00c04fb951ed}`, 0x2047, 0x03DF, true},
		{`\\?\usb#vid_303a&pid_81df&mi_00#6&2c3f1a0&0&0000#{86e0d1e0-8089-11d0-9ce4-08003e301f73}`, 0x303A, 0x81DF, true},
		{`\\?\ACPI#PNP0501#1#{86e0d1e0-8089-11d0-9ce4-08003e301f73}`, 0, 0, false},
		{`\\?\HID#VID_27B`, 0, 0, false},
	} {
		v, p, ok := linkID(tt.link)
		if ok != tt.ok || v != tt.vid || p != tt.pid {
			t.Errorf("linkID(%s) = %04X:%04X %v", tt.link, v, p, ok)
		}
	}
}
