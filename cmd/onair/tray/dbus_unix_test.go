//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/mapping"
)

// requireTool finds a tool or skips, unless ONAIR_REQUIRE_TOOLS=1 (CI),
// where a missing tool is a failure.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not found and ONAIR_REQUIRE_TOOLS=1: install it (Debian: apt-get install %s)", name, pkg)
		}
		t.Skipf("%s not found: skipping (Debian: apt-get install %s; set ONAIR_REQUIRE_TOOLS=1 to make this a failure)", name, pkg)
	}
	return p
}

// sessionBus starts a private dbus-daemon with the stock session policy and
// returns its address. It is ready when it prints the address.
func sessionBus(t *testing.T) string {
	bin := requireTool(t, "dbus-daemon", "dbus-daemon")
	conf := "/usr/share/dbus-1/session.conf"
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("dbus-daemon is installed but %s is missing: %v", conf, err)
	}
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(bin, "--config-file="+conf, "--nofork", "--print-address=1", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case addr := <-line:
		if addr == "" {
			t.Fatalf("dbus-daemon printed no address; stderr: %s", stderr.String())
		}
		return addr
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not print its address within 10 s")
	}
	return ""
}

// demoDaemon runs a real daemon in demo mode with its control API on a
// socket in a temporary directory, and returns a client for it.
func demoDaemon(t *testing.T) (*daemon.Client, string) {
	sock := filepath.Join(t.TempDir(), "onair.sock")
	d, err := daemon.New(daemon.Options{Config: config.DefaultConfig(), Demo: true, NoLights: true, Version: "test", Paths: config.Paths{Socket: sock}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c := daemon.NewClient(sock)
	// The control API has no readiness signal; the first successful status
	// is the event we wait for.
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		_, err := c.Status(t.Context())
		if err == nil {
			return c, sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo daemon did not answer within 10 s: %v", err)
		}
		<-tick.C
	}
}

// watcher is the StatusNotifierWatcher a desktop panel would own; here the
// test owns it, since no desktop runs.
type watcher struct{ items chan [2]string }

// RegisterStatusNotifierItem is the method items call to appear in the
// panel; see
// https://www.freedesktop.org/wiki/Specifications/StatusNotifierItem/StatusNotifierWatcher/
func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.items <- [2]string{string(sender), service}
	return nil
}

// menuNode is one com.canonical.dbusmenu layout node.
type menuNode struct {
	id       int32
	props    map[string]dbus.Variant
	children []menuNode
}

func (n menuNode) label() string {
	s, _ := n.props["label"].Value().(string)
	return s
}

func (n menuNode) flag(name string, def bool) bool {
	if v, ok := n.props[name].Value().(bool); ok {
		return v
	}
	return def
}

func (n menuNode) walk(f func(menuNode)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

func parseNode(t *testing.T, v []any) menuNode {
	t.Helper()
	if len(v) != 3 {
		t.Fatalf("dbusmenu node has %d fields, want 3 (ia{sv}av)", len(v))
	}
	n := menuNode{id: v[0].(int32), props: v[1].(map[string]dbus.Variant)}
	for _, c := range v[2].([]dbus.Variant) {
		n.children = append(n.children, parseNode(t, c.Value().([]any)))
	}
	return n
}

// item is the tray as seen over D-Bus by a panel.
type item struct {
	t       *testing.T
	conn    *dbus.Conn
	obj     dbus.BusObject
	menu    dbus.BusObject
	signals chan *dbus.Signal
}

// iconColor reads IconPixmap (a(iiay), ARGB32 in network byte order) and
// returns the colour at the centre of the largest image.
func (it *item) iconColor() (color.NRGBA, bool) {
	v, err := it.obj.GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		it.t.Fatalf("read IconPixmap: %v", err)
	}
	var pix []struct {
		W, H int32
		Pix  []byte
	}
	if err := dbus.Store([]any{v.Value()}, &pix); err != nil {
		it.t.Fatalf("decode IconPixmap %v: %v", v.Signature(), err)
	}
	best := -1
	for i, p := range pix {
		if int(p.W*p.H*4) == len(p.Pix) && p.W > 0 && (best < 0 || p.W > pix[best].W) {
			best = i
		}
	}
	if best < 0 {
		return color.NRGBA{}, false
	}
	p := pix[best]
	i := int((p.H/2*p.W + p.W/2) * 4)
	return color.NRGBA{A: p.Pix[i], R: p.Pix[i+1], G: p.Pix[i+2], B: p.Pix[i+3]}, true
}

func (it *item) layout() menuNode {
	var rev uint32
	var root []any
	call := it.menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&rev, &root); err != nil {
		it.t.Fatalf("GetLayout: %v", err)
	}
	return parseNode(it.t, root)
}

// waitFor re-checks cond after every signal from the item until it holds
// or the deadline passes; cond returns what it saw for the failure message.
func (it *item) waitFor(what string, cond func() (bool, string)) {
	it.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		select {
		case <-it.signals:
		case <-deadline:
			it.t.Fatalf("timed out waiting for %s; last saw %s", what, saw)
		}
	}
}

func (it *item) find(label string) (menuNode, bool) {
	var found menuNode
	ok := false
	it.layout().walk(func(n menuNode) {
		if n.label() == label && n.flag("visible", true) {
			found, ok = n, true
		}
	})
	return found, ok
}

func (it *item) click(label string) {
	it.t.Helper()
	it.clickThen(label, false)
}

// clickThen clicks label; with exits set, the tray may end before it
// answers (Quit), which D-Bus reports as the recipient disconnecting.
func (it *item) clickThen(label string, exits bool) {
	it.t.Helper()
	n, ok := it.find(label)
	if !ok {
		it.t.Fatalf("no visible menu entry %q", label)
	}
	if !n.flag("enabled", true) {
		it.t.Fatalf("menu entry %q is disabled", label)
	}
	call := it.menu.Call("com.canonical.dbusmenu.Event", 0, n.id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
	var de dbus.Error
	if exits && errors.As(call.Err, &de) && de.Name == "org.freedesktop.DBus.Error.NoReply" {
		return
	}
	if call.Err != nil {
		it.t.Fatalf("click %q: %v", label, call.Err)
	}
}

func wantColor(t *testing.T, st daemon.Status) color.NRGBA {
	t.Helper()
	if len(st.Users) == 0 {
		t.Fatal("daemon status has no users")
	}
	c, err := mapping.ParseColor(st.Users[0].Color)
	if err != nil {
		t.Fatalf("daemon colour %q: %v", st.Users[0].Color, err)
	}
	return color.NRGBA{c.R, c.G, c.B, 0xff}
}

// syncBuffer is a bytes.Buffer safe for a child's stderr and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTrayOverDBus runs `onair tray` (in a child process) against a real
// demo daemon on a private session bus, plays the panel's side of the
// StatusNotifierItem and dbusmenu protocols, and checks that the icon is
// the daemon's signal colour, that the menu says what is going on, and that
// clicking "Busy for 30 min" sets the daemon's override.
func TestTrayOverDBus(t *testing.T) {
	addr := sessionBus(t)
	client, sock := demoDaemon(t)
	// The demo day changes presence every few seconds; a colour override
	// holds the signal still so the icon has one right answer.
	st, err := client.SetOverride(t.Context(), daemon.OverrideRequest{Status: "#12ab34", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	first := wantColor(t, st)
	if first != (color.NRGBA{0x12, 0xab, 0x34, 0xff}) {
		t.Fatalf("daemon colour after override = %v", first)
	}

	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	defer conn.Close()
	w := &watcher{items: make(chan [2]string, 4)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.kde.StatusNotifierWatcher: reply %v, %v", reply, err)
	}

	var stderr syncBuffer
	raceDir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+sock, "DBUS_SESSION_BUS_ADDRESS="+addr,
		// Under -race, reports go to files that checkRaces sorts into ours
		// and fyne.io/systray's own.
		"GORACE=halt_on_error=0 exitcode=0 log_path="+filepath.Join(raceDir, "race"))
	child.Stderr = &stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = child.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			child.Process.Kill()
			<-exited
		}
		checkRaces(t, raceDir)
		if t.Failed() {
			t.Logf("tray stderr:\n%s", stderr.String())
		}
	}()

	var reg [2]string
	select {
	case reg = <-w.items:
	case <-exited:
		t.Fatalf("tray exited before registering: %v", waitErr)
	case <-time.After(15 * time.Second):
		t.Fatal("tray did not call RegisterStatusNotifierItem within 15 s")
	}
	sender, path := reg[0], reg[1]
	if !strings.HasPrefix(path, "/") {
		path = "/StatusNotifierItem" // some items register their bus name instead
	}
	signals := make(chan *dbus.Signal, 64)
	conn.Signal(signals)
	if err := conn.AddMatchSignal(dbus.WithMatchSender(sender)); err != nil {
		t.Fatal(err)
	}
	it := &item{t: t, conn: conn, obj: conn.Object(sender, dbus.ObjectPath(path)), signals: signals}
	menuPath, err := it.obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("read Menu: %v", err)
	}
	it.menu = conn.Object(sender, menuPath.Value().(dbus.ObjectPath))

	// 1. The icon is the daemon's signal colour.
	it.waitFor(fmt.Sprintf("icon colour %v", first), func() (bool, string) {
		c, ok := it.iconColor()
		return ok && c == first, fmt.Sprintf("%v (set %v)", c, ok)
	})

	// 2. The menu says who, what and that an override is on, and offers
	// the actions.
	note := "Override: #12ab34 until cleared"
	it.waitFor("the override in the menu", func() (bool, string) {
		_, ok := it.find(note)
		var labels []string
		it.layout().walk(func(n menuNode) { labels = append(labels, n.label()) })
		return ok, fmt.Sprintf("%q", labels)
	})
	var labels []string
	it.layout().walk(func(n menuNode) {
		if n.flag("visible", true) && n.label() != "" {
			labels = append(labels, fmt.Sprintf("%q enabled=%v", n.label(), n.flag("enabled", true)))
		}
	})
	t.Logf("menu as a panel sees it:\n%s", strings.Join(labels, "\n"))
	for _, label := range []string{"Busy for 30 min", "Busy for 1 h", "Do not disturb for 30 min", "Available for 1 h", "Clear override", "Pause", "Quit"} {
		n, ok := it.find(label)
		if !ok || !n.flag("enabled", true) {
			t.Errorf("menu entry %q: found %v, enabled %v", label, ok, n.flag("enabled", true))
		}
	}
	if n, ok := it.find("Resume"); !ok || n.flag("enabled", true) {
		t.Errorf("Resume: found %v, enabled %v; want shown and disabled when not paused", ok, n.flag("enabled", true))
	}
	if _, ok := it.find("Sign in…"); ok {
		t.Error("Sign in… is shown in demo mode, which needs no sign-in")
	}

	// 3. Clicking "Busy for 30 min" sets the daemon's override, and the
	// icon follows the daemon's new colour.
	clicked := time.Now()
	it.click("Busy for 30 min")
	it.waitFor("the icon to change after the click", func() (bool, string) {
		c, ok := it.iconColor()
		return ok && c != first, fmt.Sprintf("%v", c)
	})
	st, err = client.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	o := st.Override
	if o == nil || o.Availability != mapping.AvailabilityBusy || o.Source != Source {
		t.Fatalf("override after clicking Busy for 30 min = %+v, want Busy set by %q", o, Source)
	}
	if d := o.Until.Sub(clicked); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("override lasts %v from the click, want 30 min", d)
	}
	busy := wantColor(t, st)
	t.Logf("after the click: override %s until %s, daemon colour %v", o.Availability, o.Until.Format(time.TimeOnly), busy)
	if c, _ := it.iconColor(); c != busy {
		t.Errorf("icon after the click = %v, want the daemon's colour %v", c, busy)
	}
	it.waitFor("the new override in the menu", func() (bool, string) {
		// "until 00:06" today, "until Wed 00:06" when the 30 minutes end
		// after midnight: either, as the day may turn between the menu
		// and this check.
		until := o.Until.Local()
		want := "Override: Busy until " + until.Format("15:04")
		_, today := it.find(want)
		_, later := it.find("Override: Busy until " + until.Format("Mon 15:04"))
		return today || later, want + " (or with the weekday)"
	})

	// 4. Quit ends the tray process cleanly.
	it.clickThen("Quit", true)
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("tray exit after Quit: %v", waitErr)
		}
	case <-time.After(15 * time.Second):
		t.Error("tray still running 15 s after Quit")
	}
}

// checkRaces fails the test for every data race the race detector found in
// the tray child whose racing access is in onair code (the top frame of
// either access stack). fyne.io/systray v1.12.2 has races of its own that
// any panel triggers, such as (*tray).GetLayout reading menuVersion under
// menuLock while refresh writes it under instance.lock
// (systray_menu_unix.go:91 and :423), and the IconPixmap value being
// encoded for a panel while SetIcon replaces it; those are logged, not
// failed, since only a fix upstream can remove them, and our calls into
// systray all come from one goroutine.
func checkRaces(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "race*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, report := range strings.Split(string(b), "WARNING: DATA RACE")[1:] {
			ours := false
			for _, section := range strings.Split(report, "\n\n") {
				lines := strings.Split(strings.TrimSpace(section), "\n")
				if len(lines) < 2 || !strings.Contains(lines[0], " at 0x") {
					continue // "created at" sections say where a goroutine started, not who raced
				}
				if strings.Contains(lines[1], "github.com/onair-dev/onair/") {
					ours = true
				}
			}
			if ours {
				t.Errorf("data race in onair code in the tray:%s", report)
			} else {
				t.Logf("data race inside fyne.io/systray or godbus (not in onair code; see checkRaces):%s", firstLines(report, 4))
			}
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
