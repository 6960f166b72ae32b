//go:build !linux && !windows && !(darwin && cgo)

package hotplug

import (
	"context"
	"fmt"
	"runtime"
)

// watch has no notification source here: the BSDs, and macOS built without
// cgo (the darwin_arm64 and darwin_amd64 archives, which drive no lights
// at all; IOKit needs cgo, see watch_darwin.go). The caller rescans every
// [Slow].
func watch(context.Context) (<-chan Event, error) {
	if runtime.GOOS == "darwin" {
		return nil, fmt.Errorf("%w: this onair was built without cgo, which IOKit notifications need (the Homebrew build and the darwin_universal archive have it); it rescans every %v", ErrUnsupported, Slow)
	}
	return nil, fmt.Errorf("%w on %s: onair has no USB notification source for this OS; it rescans every %v", ErrUnsupported, runtime.GOOS, Slow)
}
