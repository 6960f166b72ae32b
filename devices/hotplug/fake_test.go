package hotplug

import (
	"context"
	"errors"
	"testing"
)

func TestFake(t *testing.T) {
	var f Fake
	if err := f.Send(Event{Action: Add}); !errors.Is(err, ErrNotWatching) {
		t.Fatalf("Send before Watch = %v", err)
	}
	watching := f.Watching()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := f.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-watching
	want := Event{Action: Add, Subsystem: "hidraw", HasID: true, VID: 0x27BB, PID: 0x3BCD}
	got := make(chan Event)
	go func() {
		for e := range ch {
			got <- e
		}
		close(got)
	}()
	sent := make(chan error)
	go func() { sent <- f.Send(want) }()
	if e := <-got; e != want {
		t.Errorf("received %v, want %v", e, want)
	}
	if err := <-sent; err != nil {
		t.Errorf("Send = %v", err)
	}
	f.Break()
	if _, ok := <-got; ok {
		t.Error("channel still open after Break")
	}
	if err := f.Send(want); !errors.Is(err, ErrNotWatching) {
		t.Errorf("Send after Break = %v", err)
	}

	f.SetErr(ErrUnsupported)
	if _, err := f.Watch(ctx); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Watch with Err = %v", err)
	}
	f.SetErr(nil)
	ch2, err := f.Watch(ctx)
	if err != nil || f.Watches() != 2 {
		t.Fatalf("second Watch = %v, %d watches", err, f.Watches())
	}
	cancel()
	if _, ok := <-ch2; ok {
		t.Error("channel still open after its context ended")
	}
	if err := f.Send(want); !errors.Is(err, ErrNotWatching) {
		t.Errorf("Send after cancel = %v", err)
	}
}
