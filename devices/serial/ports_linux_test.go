package serial

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeSysfs builds the sysfs layout of three ttys: a CDC ACM light
// (ttyACM0 under interface 1-3:1.0 of USB device 1-3), a CP2102 through
// usb-serial (ttyUSB0, one level deeper), an on-board UART (ttyS0) and a
// virtual console (tty0, no device link), as the kernel lays them out.
func fakeSysfs(t *testing.T) string {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(dir string, attrs map[string]string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range attrs {
			if err := os.WriteFile(filepath.Join(root, dir, k), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(root, target), filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	usb := "devices/pci0000:00/0000:00:14.0/usb1"
	mk(usb, map[string]string{"idVendor": "1d6b", "idProduct": "0002"}) // root hub
	mk(usb+"/1-3", map[string]string{"idVendor": "2047", "idProduct": "03df", "product": "fit_StatUSB", "manufacturer": "Compulab LTD", "serial": "073BB04620002600"})
	mk(usb+"/1-3/1-3:1.0/tty/ttyACM0", nil)
	link(usb+"/1-3/1-3:1.0", usb+"/1-3/1-3:1.0/tty/ttyACM0/device")
	link(usb+"/1-3/1-3:1.0/tty/ttyACM0", "class/tty/ttyACM0")
	mk(usb+"/1-4", map[string]string{"idVendor": "10c4", "idProduct": "ea60", "product": "CP2102 USB to UART Bridge Controller"})
	mk(usb+"/1-4/1-4:1.0/ttyUSB0/tty/ttyUSB0", nil)
	link(usb+"/1-4/1-4:1.0/ttyUSB0", usb+"/1-4/1-4:1.0/ttyUSB0/tty/ttyUSB0/device")
	link(usb+"/1-4/1-4:1.0/ttyUSB0/tty/ttyUSB0", "class/tty/ttyUSB0")
	mk("devices/pnp0/00:00/tty/ttyS0", nil)
	link("devices/pnp0/00:00", "devices/pnp0/00:00/tty/ttyS0/device")
	link("devices/pnp0/00:00/tty/ttyS0", "class/tty/ttyS0")
	mk("devices/virtual/tty/tty0", nil)
	link("devices/virtual/tty/tty0", "class/tty/tty0")
	return root
}

func TestDetailedPortsSysfs(t *testing.T) {
	old := sysfs
	sysfs = fakeSysfs(t)
	defer func() { sysfs = old }()

	var probed []string
	ports, err := detailedPorts(func(vid, pid string) bool {
		probed = append(probed, vid+":"+pid)
		return knownSerialID(vid, pid)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []port{
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "2047", PID: "03DF", Serial: "073BB04620002600", Product: "fit_StatUSB", Manufacturer: "Compulab LTD"},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "10C4", PID: "EA60"}, // not a light: strings not read
	}
	if len(ports) != len(want) || ports[0] != want[0] || ports[1] != want[1] {
		t.Fatalf("detailedPorts =\n %+v\nwant\n %+v", ports, want)
	}
	if len(probed) != 2 {
		t.Errorf("probe asked about %v, want the two USB ports only", probed)
	}
	infos := toInfos(ports, false)
	if len(infos) != 1 || infos[0].Path != "/dev/ttyACM0" || infos[0].VID != 0x2047 {
		t.Errorf("toInfos = %+v, want the fit-statUSB only", infos)
	}
}

func TestDetailedPortsNoSysfs(t *testing.T) {
	old := sysfs
	sysfs = filepath.Join(t.TempDir(), "missing")
	defer func() { sysfs = old }()
	if _, err := Enumerate(false); err == nil {
		t.Error("Enumerate without /sys/class/tty succeeded")
	}
}

// TestEnumerateRealSysfs runs the enumeration on this machine's /sys: it
// must not fail, and no port it returns may be a ttyS (those are UARTs,
// never lights, and enumeration never opens them).
func TestEnumerateRealSysfs(t *testing.T) {
	if _, err := os.Stat("/sys/class/tty"); err != nil {
		t.Skipf("no /sys/class/tty here: %v", err)
	}
	infos, err := Enumerate(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if filepath.Base(in.Path)[:4] == "ttyS" {
			t.Errorf("Enumerate listed %s", in.Path)
		}
	}
}
