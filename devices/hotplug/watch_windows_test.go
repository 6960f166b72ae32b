package hotplug

import (
	"context"
	"errors"
	"testing"
	"unsafe"
)

func TestFilterSize(t *testing.T) {
	// sizeof(CM_NOTIFY_FILTER) is 416 on 32- and 64-bit Windows.
	if n := unsafe.Sizeof(cmNotifyFilter{}); n != 416 {
		t.Errorf("cmNotifyFilter is %d bytes, want 416", n)
	}
}

// TestWatchRegisters registers the notifications for real (Windows, or
// Wine when it implements CM_Register_Notification) and unregisters them.
func TestWatchRegisters(t *testing.T) {
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
	sinksMu.Lock()
	left := len(sinks)
	sinksMu.Unlock()
	if left != 0 {
		t.Errorf("%d callback sinks left registered after cancel", left)
	}
}
