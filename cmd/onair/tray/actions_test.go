package tray

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onair-dev/onair/daemon"
)

var _ Client = (*daemon.Client)(nil)

// fakeClient records the control API calls it gets.
type fakeClient struct{ calls []string }

func (f *fakeClient) Status(context.Context) (daemon.Status, error) {
	f.calls = append(f.calls, "status")
	return daemon.Status{}, nil
}

func (f *fakeClient) SetOverride(_ context.Context, r daemon.OverrideRequest) (daemon.Status, error) {
	f.calls = append(f.calls, fmt.Sprintf("set %s for %s by %s", r.Status, r.For, r.Source))
	return daemon.Status{}, nil
}

func (f *fakeClient) ClearOverride(context.Context) (daemon.Status, error) {
	f.calls = append(f.calls, "clear")
	return daemon.Status{}, nil
}

func (f *fakeClient) Pause(_ context.Context, dur string) (daemon.Status, error) {
	f.calls = append(f.calls, "pause "+dur)
	return daemon.Status{}, nil
}

func (f *fakeClient) Resume(context.Context) (daemon.Status, error) {
	f.calls = append(f.calls, "resume")
	return daemon.Status{}, nil
}

func TestDo(t *testing.T) {
	tests := []struct {
		slot    Slot
		want    string
		wantErr bool
	}{
		{SlotBusy30, "set Busy for 30m by tray", false},
		{SlotBusy1h, "set Busy for 1h by tray", false},
		{SlotDND30, "set DoNotDisturb for 30m by tray", false},
		{SlotDND1h, "set DoNotDisturb for 1h by tray", false},
		{SlotAvailable30, "set Available for 30m by tray", false},
		{SlotAvailable1h, "set Available for 1h by tray", false},
		{SlotClear, "clear", false},
		{SlotPause, "pause ", false},
		{SlotResume, "resume", false},
		{SlotQuit, "", true},
		{SlotOpenBoard, "", true},
		{SlotSignIn, "", true},
		{SlotWho, "", true},
	}
	for _, tt := range tests {
		t.Run(Label(tt.slot), func(t *testing.T) {
			f := &fakeClient{}
			_, err := Do(t.Context(), f, tt.slot)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Do = %v, want error %v", err, tt.wantErr)
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
	// Every quick override is one the daemon accepts, as `onair set` would
	// check it.
	for s, o := range overrides {
		if _, _, err := daemon.ParseOverride(daemon.OverrideRequest{Status: o.status, For: o.dur}); err != nil {
			t.Errorf("%s: the daemon would refuse %+v: %v", Label(s), o, err)
		}
	}
}
