//go:build darwin && cgo

package hotplug

import (
	"context"
	"testing"
)

// TestWatchIOKit starts the IOKit watcher and stops it: the channel must
// close once the context is done (the run loop stopped, the thread and the
// pipe released). Plugging a device in is left to a person at the Mac.
func TestWatchIOKit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := Watch(ctx)
	if err != nil {
		cancel()
		t.Fatalf("Watch: %v", err)
	}
	cancel()
	for e := range ch {
		t.Logf("event while stopping: %v", e)
	}
}
