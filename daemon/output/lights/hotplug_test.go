package lights

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/hotplug"
	"github.com/onair-dev/onair/mapping"
)

// countingBackend is a bus the test controls that counts enumerations and
// opens.
type countingBackend struct {
	mu    sync.Mutex
	infos []devices.Info
	enums []time.Time
	opens []time.Time
}

func (b *countingBackend) GOOS() string { return "linux" }

func (b *countingBackend) Enumerate() ([]devices.Info, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enums = append(b.enums, time.Now())
	return append([]devices.Info(nil), b.infos...), nil
}

func (b *countingBackend) Open(devices.Info) (devices.Transport, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.opens = append(b.opens, time.Now())
	return discard{}, nil
}

func (b *countingBackend) plug(info devices.Info) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.infos = append(b.infos, info)
}

func (b *countingBackend) counts() (enums, opens int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.enums), len(b.opens)
}

func (b *countingBackend) lastOpen() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.opens) == 0 {
		return time.Time{}
	}
	return b.opens[len(b.opens)-1]
}

// runLights runs a lights output on b with watcher w (nil: none) and one
// snapshot in its mailbox; the returned func stops it and waits.
func runLights(t *testing.T, b Backend, w hotplug.WatchFunc) (*Output, func()) {
	t.Helper()
	o, err := New(Options{Backend: b, Watch: w, Users: []string{"me"}, Rules: mapping.DefaultRules()})
	if err != nil {
		t.Fatal(err)
	}
	mb := output.NewMailbox()
	mb.Put(&output.Snapshot{Seq: 1, Time: time.Now(), Users: []output.UserView{{Key: "me",
		Presence: mapping.Presence{User: "me", Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}}}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { o.Run(ctx, mb); close(done) }()
	return o, func() { cancel(); <-done }
}

// TestHotplugIdleDoesNotEnumerate: with a watcher, no light attached and no
// USB event, the output enumerates once at start and then not again until
// the safety rescan five minutes later.
func TestHotplugIdleDoesNotEnumerate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &countingBackend{}
		var hp hotplug.Fake
		_, stop := runLights(t, b, hp.Watch)
		defer stop()
		<-hp.Watching()
		time.Sleep(hotplug.Safety - time.Millisecond)
		synctest.Wait()
		if n, _ := b.counts(); n != 1 {
			t.Fatalf("%d enumerations in the first %v without a USB event, want 1 (at start)", n, hotplug.Safety)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n, _ := b.counts(); n != 2 {
			t.Fatalf("%d enumerations after %v, want 2 (the safety rescan)", n, hotplug.Safety)
		}
		// An event for a device that is no light (a mouse) is not a cue.
		if err := hp.Send(hotplug.Event{Action: hotplug.Add, Subsystem: "usb", HasID: true, VID: 0x046D, PID: 0xC077}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n, _ := b.counts(); n != 2 {
			t.Errorf("%d enumerations after a mouse was plugged in, want still 2", n)
		}
	})
}

// TestHotplugEventOpensLight: an event for a known light's VID:PID opens it
// within 250 ms (after hotplug.Settle), and a burst of events for one
// plug-in enumerates once.
func TestHotplugEventOpensLight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &countingBackend{}
		var hp hotplug.Fake
		o, stop := runLights(t, b, hp.Watch)
		defer stop()
		<-hp.Watching()
		time.Sleep(7 * time.Second)
		b.plug(luxaforFlag)
		plugged := time.Now()
		// One plug-in: the USB device, its interface, the hid and hidraw
		// nodes, a few milliseconds apart.
		for _, sub := range []string{"usb", "usb", "hid", "hidraw"} {
			if err := hp.Send(hotplug.Event{Action: hotplug.Add, Subsystem: sub, HasID: true, VID: luxaforFlag.VID, PID: luxaforFlag.PID}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		enums, opens := b.counts()
		if opens != 1 {
			t.Fatalf("light opened %d times within 250 ms of the plug-in, want 1", opens)
		}
		if lat := b.lastOpen().Sub(plugged); lat > 250*time.Millisecond {
			t.Errorf("plug-in → open %v, want ≤ 250 ms", lat)
		}
		if enums != 2 {
			t.Errorf("%d enumerations, want 2 (at start, once after the burst)", enums)
		}
		if st := o.Status(); len(st) != 1 || st[0].State != "connected" {
			t.Errorf("status = %+v, want the light connected", st)
		}
		t.Logf("plug-in → open %v", b.lastOpen().Sub(plugged))
	})
}

// TestHotplugFallback: when notifications cannot be had the output looks
// every hotplug.Slow; when they stop, it falls back the same way and
// subscribes again at the next slow rescan.
func TestHotplugFallback(t *testing.T) {
	for _, tc := range []string{"unsupported", "broken"} {
		t.Run(tc, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := &countingBackend{}
				var hp hotplug.Fake
				if tc == "unsupported" {
					hp.SetErr(fmt.Errorf("watch: %w", hotplug.ErrUnsupported))
				}
				_, stop := runLights(t, b, hp.Watch)
				defer stop()
				synctest.Wait()
				if tc == "broken" {
					hp.Break()
					hp.SetErr(errors.New("netlink: no buffer space"))
				}
				time.Sleep(3*hotplug.Slow + time.Millisecond)
				synctest.Wait()
				if n, _ := b.counts(); n != 4 {
					t.Errorf("%d enumerations in 3 minutes without notifications, want 4 (at start, then every minute)", n)
				}
				// Notifications come back: the next slow rescan subscribes.
				hp.SetErr(nil)
				time.Sleep(hotplug.Slow)
				synctest.Wait()
				<-hp.Watching()
				b.plug(luxaforFlag)
				if err := hp.Send(hotplug.Event{Action: hotplug.Add, Subsystem: "hidraw", HasID: true, VID: luxaforFlag.VID, PID: luxaforFlag.PID}); err != nil {
					t.Fatal(err)
				}
				time.Sleep(hotplug.Settle)
				synctest.Wait()
				if _, opens := b.counts(); opens != 1 {
					t.Errorf("light opened %d times after an event on the renewed watch, want 1", opens)
				}
			})
		})
	}
}
