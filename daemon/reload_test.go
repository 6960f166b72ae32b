package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/lights"
	"github.com/onair-dev/onair/devices/devicestest"
	"github.com/onair-dev/onair/mapping"
)

// reloadConfig is a config whose busy rule has colour c; the colour is on
// line 6.
func reloadConfig(c string) string {
	return fmt.Sprintf("version: 1\nmapping:\n  rules:\n    - name: desk\n      availability: busy\n      color: '%s'\n", c)
}

// startFile runs a daemon on the config file path with a fake USB bus and a
// recorder, in the current synctest bubble.
func startFile(t *testing.T, path string, src presenceSource, usb lights.Backend) (*Daemon, *recorder, *syncBuffer, func()) {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rec := &recorder{}
	if usb == nil {
		// The real backend would watch the kernel's hot-plug socket, which
		// a synctest bubble cannot wait out.
		usb = newFakeUSB()
	}
	d, err := New(Options{Config: cfg, Paths: config.Paths{Config: path}, NoControl: true, Logger: log, source: src, lights: usb, outputs: []output.Output{rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return d, rec, logs, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// lastWrite is the last operation written to a light.
func lastWrite(l *fakeLight) devicestest.Op {
	ops := l.writes()
	if len(ops) == 0 {
		return devicestest.Op{}
	}
	return ops[len(ops)-1]
}

func TestReloadChangesRuleColourKeepsOverride(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		write := func(s string) {
			if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write(reloadConfig("#0000ff"))
		usb := newFakeUSB(luxaforFlag)
		src := &scriptSource{}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		d, rec, logs, stop := startFile(t, path, src, usb)
		defer stop()
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()

		// An override through the busy rule: blue.
		if err := d.SetOverride(output.Override{Availability: mapping.AvailabilityBusy, Source: "test"}, 0); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		l := usb.light(luxaforFlag.Path)
		blue := want(t, luxaforFlag, set(solid(mapping.MustColor("#0000ff"))))
		if got := lastWrite(l); !sameOps([]devicestest.Op{got}, blue) {
			t.Fatalf("before reload the light shows%s\nwant%s", opsString(l.writes()), opsString(blue))
		}
		opens, _ := l.openClose()

		// A valid file: the new colour, with the override and presence kept.
		write(reloadConfig("#ff00ff"))
		res := d.Reload(t.Context())
		if !res.OK || !slices.Contains(res.Changed, "rules") {
			t.Fatalf("reload = %+v, want OK with rules changed", res)
		}
		time.Sleep(lights.EnumerateInterval)
		synctest.Wait()
		magenta := want(t, luxaforFlag, set(solid(mapping.MustColor("#ff00ff"))))
		if got := lastWrite(l); !sameOps([]devicestest.Op{got}, magenta) {
			t.Fatalf("after reload the light shows%s\nwant%s", opsString(l.writes()), opsString(magenta))
		}
		s := rec.last()
		if s.Override == nil || s.Users[0].Signal.Rule != "override(desk)" || s.Users[0].Presence.Availability != mapping.AvailabilityAvailable {
			t.Errorf("after reload: override %+v, signal %+v, presence %+v; want the override and presence kept", s.Override, s.Users[0].Signal, s.Users[0].Presence)
		}
		if len(src.pollTimes()) != 1 {
			t.Errorf("reload polled again (%d polls): presence is kept, not fetched anew", len(src.pollTimes()))
		}
		if o, _ := l.openClose(); o != opens+1 {
			t.Errorf("the lights output was opened %d times after the reload, want once (its rules changed)", o-opens)
		}

		// A broken file: the old colour stays, status names the line.
		write(reloadConfig("#zzzzzz"))
		for range 2 {
			res = d.Reload(t.Context())
		}
		if res.OK || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], path+":6: mapping.rules[0].color") {
			t.Fatalf("broken reload = %+v, want one error at %s:6", res, path)
		}
		synctest.Wait()
		if got := lastWrite(l); !sameOps([]devicestest.Op{got}, magenta) {
			t.Errorf("a broken config changed the light:%s", opsString(l.writes()))
		}
		st := d.Status(t.Context())
		if len(st.Health.Conditions) != 1 || !strings.HasPrefix(st.Health.Conditions[0], "config: reload failed (") || !strings.Contains(st.Health.Conditions[0], ":6:") {
			t.Errorf("status conditions = %q, want config: reload failed naming line 6", st.Health.Conditions)
		}
		if s := rec.last(); len(s.Conditions) != 1 {
			t.Errorf("outputs (MQTT health) were not told: conditions %q", s.Conditions)
		}
		if n := strings.Count(logs.String(), "config reload failed"); n != 1 {
			t.Errorf("the same broken config logged %d times, want once:\n%s", n, logs)
		}

		// Fixed: the condition goes.
		write(reloadConfig("#00ffff"))
		if res = d.Reload(t.Context()); !res.OK {
			t.Fatalf("reload of a fixed file = %+v", res)
		}
		if st := d.Status(t.Context()); len(st.Health.Conditions) != 0 {
			t.Errorf("conditions after a good reload = %q", st.Health.Conditions)
		}
	})
}

func TestReloadAddsAndRemovesUsers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "config.yaml")
		os.WriteFile(path, []byte("version: 1\ngraph:\n  users: [a@x.com, b@x.com]\n"), 0o600)
		src := &scriptSource{}
		src.ps = []mapping.Presence{
			{User: config.Me, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall},
			{User: "a@x.com", Availability: mapping.AvailabilityAway, Activity: mapping.ActivityAway},
			{User: "b@x.com", Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable},
		}
		d, rec, _, stop := startFile(t, path, src, nil)
		defer stop()
		synctest.Wait()
		if err := d.SetOverride(output.Override{User: "b@x.com", Availability: mapping.AvailabilityBusy}, 0); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, []byte("version: 1\ngraph:\n  users: [a@x.com, c@x.com]\n"), 0o600)
		res := d.Reload(t.Context())
		if !res.OK || !slices.Contains(res.Changed, "users") {
			t.Fatalf("reload = %+v", res)
		}
		synctest.Wait()
		s := rec.last()
		var keys []string
		for _, u := range s.Users {
			keys = append(keys, u.Key)
		}
		if !slices.Equal(keys, []string{"me", "a@x.com", "c@x.com"}) {
			t.Fatalf("users after reload = %v", keys)
		}
		if s.Users[1].Presence.Availability != mapping.AvailabilityAway {
			t.Errorf("a@x.com lost its presence on reload: %+v", s.Users[1])
		}
		if s.Users[2].Presence.Availability != "" {
			t.Errorf("new user c@x.com has presence before a poll: %+v", s.Users[2])
		}
		if s.Override != nil {
			t.Errorf("the override of removed user b@x.com survived: %+v", s.Override)
		}
	})
}
