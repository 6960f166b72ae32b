//go:build !linux && !windows

package hotplug

import (
	"context"
	"fmt"
	"runtime"
)

// watch has no notification source here. On macOS the source would be
// IOKit matching notifications (IOServiceAddMatchingNotification on a
// CFRunLoop thread), which need cgo; onair does not ship that watcher yet,
// so macOS rescans every [Slow] like the BSDs.
func watch(context.Context) (<-chan Event, error) {
	return nil, fmt.Errorf("%w on %s: onair has no USB notification source for this OS; it rescans every %v", ErrUnsupported, runtime.GOOS, Slow)
}
