package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// The browser tests drive a real Chromium through the DevTools protocol with
// chromedp: a pure Go client, actively maintained, that needs no Node.js.

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found: install it (Debian: apt-get install chromium) to run the browser tests"
	if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + "; ONAIR_REQUIRE_TOOLS=1 makes this a failure")
	}
	t.Skip(msg + " (set ONAIR_REQUIRE_TOOLS=1 to make this a failure)")
	return ""
}

// artifacts is where screenshots go: $ONAIR_ARTIFACTS (CI sets it), else
// the test's temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("ONAIR_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d KB)", p, len(png)/1024)
}

// poll waits until the JavaScript expression is true, or fails after d.
func poll(t *testing.T, ctx context.Context, what, expr string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.className + " | " + document.body.innerText.slice(0, 300)`))
		t.Fatalf("%s: not within %s: %v (page: %q)", what, d, err, state)
	}
	return time.Since(start)
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// presences cycles through the common Teams states for realistic pages.
var presences = []struct {
	av, act, color, label string
}{
	{"Available", "Available", "#00c000", "Available"},
	{"Busy", "InAMeeting", "#e00000", "In a meeting"},
	{"Away", "Away", "#ffc000", "Away"},
	{"DoNotDisturb", "Presenting", "#800000", "Presenting"},
	{"BeRightBack", "BeRightBack", "#ffc000", "Be right back"},
	{"Offline", "Offline", "#505050", "Offline"},
	{"Busy", "InACall", "#e00000", "In a call"},
}

func person(i int, key, name string) output.UserView {
	p := presences[i%len(presences)]
	u := view(key, name, p.color, p.label)
	u.Presence.Availability, u.Presence.Activity = mapping.Availability(p.av), mapping.Activity(p.act)
	u.Since = time.Now().Add(-time.Duration(i%90) * time.Minute).Truncate(time.Minute)
	return u
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	dir := artifacts(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 768),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tab := func(t *testing.T, w, h int64) context.Context {
		ctx, cancel := chromedp.NewContext(bctx)
		t.Cleanup(cancel)
		ctx, cancelT := context.WithTimeout(ctx, 40*time.Second)
		t.Cleanup(cancelT)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
			t.Fatal(err)
		}
		return ctx
	}

	t.Run("sign", func(t *testing.T) {
		w, mb, stop := start(t, Options{})
		me := person(1, "me", "Ada Lovelace")
		me.Presence.StatusMessage = xss
		me.BusyUntil = time.Now().Add(40 * time.Minute).Truncate(15 * time.Minute)
		mb.Put(snapshot(1, me))
		ctx := tab(t, 1024, 768)
		if err := chromedp.Do(ctx, chromedp.Navigate(w.URL()+"/sign/me")); err != nil {
			t.Fatal(err)
		}
		poll(t, ctx, "sign shows the signal", `document.body.className.indexOf('connecting') < 0 && document.getElementById('label').textContent === 'In a meeting' && document.body.style.backgroundColor === 'rgb(224, 0, 0)'`, 10*time.Second)

		// The status message is text: no element was made from it.
		if n := eval[int](t, ctx, `document.getElementsByTagName('img').length`); n != 0 {
			t.Fatalf("%d img elements: the status message became markup", n)
		}
		if got := eval[string](t, ctx, `document.getElementById('message').textContent`); got != xss {
			t.Fatalf("message %q, want %q as text", got, xss)
		}
		// WCAG: on this red (luminance 0.158) white contrasts 5.0:1, black 4.2:1.
		if got := eval[string](t, ctx, `document.body.style.color`); got != "rgb(255, 255, 255)" {
			t.Errorf("text colour on #e00000: %s, want white", got)
		}
		if got := eval[string](t, ctx, `document.getElementById('until').textContent`); !strings.HasPrefix(got, "until ") {
			t.Errorf("until: %q", got)
		}
		poll(t, ctx, "colour transition done", `getComputedStyle(document.body).backgroundColor === 'rgb(224, 0, 0)'`, 2*time.Second)
		screenshot(t, ctx, dir, "sign.png")

		// Latency: snapshot published → colour and label on the page.
		var lat []time.Duration
		for i := range 6 {
			u := person(i*3+2, "me", "Ada Lovelace")
			if i%2 == 1 {
				u = person(0, "me", "Ada Lovelace")
			}
			u.Signal.Label = fmt.Sprintf("%s %d", u.Signal.Label, i)
			c := u.Signal.Color
			mb.Put(snapshot(uint64(i+2), u))
			start := time.Now()
			poll(t, ctx, "sign update", fmt.Sprintf(`document.getElementById('label').textContent === %q && document.body.style.backgroundColor === 'rgb(%d, %d, %d)'`, u.Signal.Label, c.R, c.G, c.B), time.Second)
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		t.Logf("sign update latency over %d changes: median %s, max %s", len(lat), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))

		// Dark text on a bright colour.
		y := person(2, "me", "Ada Lovelace") // Away, #ffc000
		mb.Put(snapshot(20, y))
		poll(t, ctx, "away", `document.body.style.backgroundColor === 'rgb(255, 192, 0)' && document.body.style.color === 'rgb(0, 0, 0)'`, time.Second)
		// Stale data is marked, never shown as a live signal.
		y.State = mapping.StateStale
		mb.Put(snapshot(21, y))
		poll(t, ctx, "stale", `document.body.className.indexOf('stale') >= 0 && document.getElementById('notice').textContent.indexOf('Not current') === 0`, time.Second)
		poll(t, ctx, "yellow transition done", `getComputedStyle(document.body).backgroundColor === 'rgb(255, 192, 0)'`, 2*time.Second)
		screenshot(t, ctx, dir, "sign-stale.png")

		// The output stops: the page must say so within 10 s.
		addr := strings.TrimPrefix(w.URL(), "http://")
		stop()
		took := poll(t, ctx, "unreachable", `document.body.className.indexOf('unreachable') >= 0 && document.getElementById('label').textContent === 'onair unreachable'`, 10*time.Second)
		t.Logf("sign shows 'onair unreachable' %s after the output stopped", took.Round(time.Millisecond))
		if got := eval[string](t, ctx, `document.body.style.backgroundColor`); got != "rgb(107, 107, 107)" {
			t.Errorf("unreachable background %s, want grey", got)
		}
		poll(t, ctx, "grey transition done", `getComputedStyle(document.body).backgroundColor === 'rgb(107, 107, 107)'`, 2*time.Second)
		screenshot(t, ctx, dir, "sign-unreachable.png")

		// It comes back by itself when onair does.
		w2, mb2, _ := start(t, Options{Listen: addr})
		_ = w2
		mb2.Put(snapshot(1, person(0, "me", "Ada Lovelace")))
		took = poll(t, ctx, "reconnect", `document.body.className.indexOf('unreachable') < 0 && document.getElementById('label').textContent === 'Available'`, 15*time.Second)
		t.Logf("sign reconnected %s after onair came back", took.Round(time.Millisecond))
	})

	t.Run("unknown user", func(t *testing.T) {
		w, mb, _ := start(t, Options{})
		mb.Put(snapshot(1, person(0, "me", "Ada Lovelace")))
		ctx := tab(t, 800, 600)
		if err := chromedp.Do(ctx, chromedp.Navigate(w.URL()+"/sign/nobody")); err != nil {
			t.Fatal(err)
		}
		poll(t, ctx, "not watched", `document.body.className.indexOf('connecting') < 0 && document.getElementById('label').textContent === 'Not watched' && document.body.style.backgroundColor === 'rgb(107, 107, 107)'`, 10*time.Second)
	})

	t.Run("board", func(t *testing.T) {
		first := []string{"Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Margaret", "Ken", "Radia", "Linus", "Hedy", "John", "Katherine", "Dennis", "Sophie"}
		last := []string{"Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Knuth", "Hamilton", "Thompson", "Perlman", "Torvalds", "Lamarr", "Backus", "Johnson", "Ritchie", "Wilson"}
		users := make([]output.UserView, 1000)
		for i := range users {
			name := fmt.Sprintf("%s %s %03d", first[i%len(first)], last[(i/len(first))%len(last)], i)
			users[i] = person(i*5/3, fmt.Sprintf("u%04d@contoso.com", i), name)
			if i%4 == 0 {
				users[i].Presence.StatusMessage = "Back at 14:00 " + xss
			}
		}
		w, mb, _ := start(t, Options{Outputs: func() []output.Status {
			return []output.Status{{Name: "lights", Kind: "usb", State: "ok", Detail: "Luxafor Flag"}, {Name: "mqtt", Kind: "mqtt", State: "connected"}, {Name: "web", Kind: "web", State: "listening"}}
		}})
		s := snapshot(1, users...)
		mb.Put(s)
		ctx := tab(t, 1280, 900)
		if err := chromedp.Do(ctx, chromedp.Navigate(w.URL()+"/")); err != nil {
			t.Fatal(err)
		}
		took := poll(t, ctx, "board lists 1000 users", `document.querySelectorAll('#grid .card').length === 1000`, 15*time.Second)
		t.Logf("board with 1000 users drawn %s after navigation finished", took.Round(time.Millisecond))
		if n := eval[int](t, ctx, `document.getElementsByTagName('img').length`); n != 0 {
			t.Fatalf("%d img elements: a status message became markup", n)
		}
		names := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll('#grid .card .name'), function (e) { return e.textContent; })`)
		if !slices.IsSortedFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
			t.Errorf("cards not sorted by name: %q…", names[:5])
		}
		if got := eval[string](t, ctx, `document.getElementById('outputs').textContent`); !strings.Contains(got, "lights: ok (Luxafor Flag)") {
			t.Errorf("outputs %q", got)
		}
		screenshot(t, ctx, dir, "board.png")

		// One user changes: the card updates in place, no reload.
		eval[bool](t, ctx, `window.onairTestMarker = true`)
		s2 := *s
		s2.Seq = 2
		s2.Users = slices.Clone(s.Users)
		u := view("u0500@contoso.com", s.Users[500].Name, "#123456", "Changed now")
		s2.Users[500] = u
		mb.Put(&s2)
		start := time.Now()
		poll(t, ctx, "card updated", `(function () { var c = document.querySelector('.card[data-user="u0500@contoso.com"]'); return !!c && c.querySelector('.label').textContent === 'Changed now' && c.style.backgroundColor === 'rgb(18, 52, 86)'; })()`, 2*time.Second)
		t.Logf("board card updated %s after the snapshot", time.Since(start).Round(time.Millisecond))
		if !eval[bool](t, ctx, `window.onairTestMarker === true && document.querySelectorAll('#grid .card').length === 1000`) {
			t.Fatal("the board reloaded or lost cards")
		}
		// White text on the dark blue.
		if got := eval[string](t, ctx, `document.querySelector('.card[data-user="u0500@contoso.com"]').style.color`); got != "rgb(255, 255, 255)" {
			t.Errorf("text on #123456: %s, want white", got)
		}

		// The filter box.
		eval[bool](t, ctx, `(function () { var f = document.getElementById('filter'); f.value = 'hopper'; f.oninput(); return true; })()`)
		visible := eval[int](t, ctx, `Array.prototype.filter.call(document.querySelectorAll('#grid .card'), function (c) { return c.style.display !== 'none'; }).length`)
		want := 0
		for _, u := range users {
			if strings.Contains(strings.ToLower(u.Name), "hopper") {
				want++
			}
		}
		if visible != want || !strings.HasPrefix(eval[string](t, ctx, `document.getElementById('count').textContent`), fmt.Sprintf("%d of 1000", want)) {
			t.Errorf("filter 'hopper': %d cards visible, want %d", visible, want)
		}
	})
}
