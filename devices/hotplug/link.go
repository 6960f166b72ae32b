package hotplug

import (
	"strconv"
	"strings"
)

// linkID finds VID_xxxx and PID_xxxx in a device interface symbolic link
// such as \\?\HID#VID_27BB&PID_3BCD#7&1a2b3c4d&0&0000#{4d1e55b2-…}.
func linkID(link string) (vid, pid uint16, ok bool) {
	up := strings.ToUpper(link)
	field := func(key string) (uint16, bool) {
		i := strings.Index(up, key)
		if i < 0 || len(up) < i+len(key)+4 {
			return 0, false
		}
		v, err := strconv.ParseUint(up[i+len(key):i+len(key)+4], 16, 16)
		return uint16(v), err == nil
	}
	v, ok1 := field("VID_")
	p, ok2 := field("PID_")
	return v, p, ok1 && ok2
}
