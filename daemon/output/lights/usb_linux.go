package lights

import (
	"os"
	"strings"
)

// busFingerprint returns the names of the USB devices and interfaces the
// kernel lists (/sys/bus/usb/devices: "1-1", "1-1:1.0", …), which change
// whenever a device is plugged in or pulled out. "" when sysfs is not there.
func busFingerprint() string {
	entries, err := os.ReadDir("/sys/bus/usb/devices")
	if err != nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("usb")
	for _, e := range entries {
		b.WriteByte(' ')
		b.WriteString(e.Name())
	}
	return b.String()
}
