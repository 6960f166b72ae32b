package e2e_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/devices/usbip"
	"github.com/onair-dev/onair/devices/usbip/e2e"
)

// TestMain doubles as the guestfwd relay: QEMU starts this test binary with
// -onair-relay ADDR for every guest connection (see e2e.Relay).
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "-onair-relay" {
		if err := e2e.Relay(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "onair-relay:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// requireE2E skips, or fails when ONAIR_REQUIRE_E2E=1 (CI), with why the
// bench cannot run.
func requireE2E(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("ONAIR_REQUIRE_E2E") == "1" {
		t.Fatalf("ONAIR_REQUIRE_E2E=1: %v", err)
	}
	t.Skip(err)
}

// bench is one booted guest with the emulator and the control connection.
type bench struct {
	t       *testing.T
	srv     *usbip.Server
	devices map[string]*usbip.Device // by profile name
	guest   *e2e.Guest
	vm      *e2e.VM
	daemon  string // path of onair in the guest, "" when not built
	// daemonErr says why daemon is "".
	daemonErr error
	timings   []string
}

func (b *bench) timing(what string, start time.Time) {
	s := fmt.Sprintf("%s %.1fs", what, time.Since(start).Seconds())
	b.timings = append(b.timings, s)
	b.t.Log("timing: " + s)
}

// startBench builds the guest, starts the emulator with one device per
// profile name, boots QEMU and waits for the agent to connect.
func startBench(t *testing.T, names []string) *bench {
	a, err := e2e.FindAssets()
	if err != nil {
		requireE2E(t, err)
	}
	root, err := e2e.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{t: t, devices: map[string]*usbip.Device{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	// Guest programs.
	dir := t.TempDir()
	start := time.Now()
	agent := filepath.Join(dir, "agent")
	if err := e2e.BuildStatic(ctx, root, "./devices/usbip/guest", agent); err != nil {
		t.Fatal(err)
	}
	extra := []e2e.File{{Name: "agent", Mode: 0o755, Src: agent}}
	// The daemon scenarios need cmd/onair; without it (or while it does
	// not build) they skip with the reason and the device scenarios run.
	if _, err := os.Stat(filepath.Join(root, "cmd", "onair")); err != nil {
		b.daemonErr = fmt.Errorf("cmd/onair does not exist")
	} else {
		onair := filepath.Join(dir, "onair")
		if err := e2e.BuildStatic(ctx, root, "./cmd/onair", onair); err != nil {
			b.daemonErr = err
		} else if !e2e.Links(ctx, root, "./cmd/onair", "github.com/onair-dev/onair/devices/hid") {
			b.daemonErr = fmt.Errorf("./cmd/onair builds but does not link devices/hid: it has no USB light output yet")
		} else {
			extra = append(extra, e2e.File{Name: "bin/onair", Mode: 0o755, Src: onair})
			b.daemon = "/bin/onair"
		}
	}
	b.timing("build guest programs", start)
	start = time.Now()
	initrd := filepath.Join(dir, "initrd.gz")
	f, err := os.Create(initrd)
	if err != nil {
		t.Fatal(err)
	}
	if err := e2e.WriteInitramfs(f, e2e.InitramfsFiles(a, extra...)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	b.timing("initramfs", start)

	// Emulator and control listener, loopback only.
	b.srv = usbip.NewServer(usbip.Options{Logf: t.Logf})
	for _, n := range names {
		p, ok := usbip.ProfileNamed(n)
		if !ok {
			t.Fatalf("no emulator profile %q", n)
		}
		b.devices[n] = b.srv.Add(p)
	}
	uln, err := usbip.Listen()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- b.srv.Serve(ctx, uln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("emulator: %v", err)
		}
	})
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cln.Close()

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	vmctx, vmcancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(vmcancel)
	b.vm, err = e2e.Boot(vmctx, e2e.VMOptions{
		Assets: a, Initrd: initrd,
		USBIP: uln.Addr().String(), Control: cln.Addr().String(),
		Relay: []string{exe, "-onair-relay"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b.guest != nil {
			b.guest.Do(e2e.Request{Op: e2e.OpExit})
			b.guest.Close()
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer wcancel()
		err := b.vm.Wait(wctx)
		console := b.vm.Console()
		if err != nil || !strings.Contains(console, "onair-guest-exit=0") || t.Failed() {
			t.Errorf("guest did not exit cleanly (qemu: %v); serial console:\n%s", err, console)
		}
	})

	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := cln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	select {
	case c := <-accepted:
		b.guest = e2e.NewGuest(c, t.Logf)
	case <-b.vm.Done():
		t.Fatalf("guest exited before the agent connected; console:\n%s", b.vm.Console())
	case <-time.After(90 * time.Second):
		t.Fatalf("agent did not connect within 90 s; console:\n%s", b.vm.Console())
	}
	b.timing("boot to agent", start)
	return b
}

// do runs a guest request and fails the test on a transport error.
func (b *bench) do(t *testing.T, req e2e.Request) e2e.Response {
	t.Helper()
	resp, err := b.guest.Do(req)
	if err != nil {
		t.Fatalf("guest %s: %v\nconsole:\n%s", req.Op, err, b.vm.Console())
	}
	return resp
}

// must runs a guest request that must succeed.
func (b *bench) must(t *testing.T, req e2e.Request) e2e.Response {
	t.Helper()
	resp := b.do(t, req)
	if resp.Error != "" {
		t.Fatalf("guest %s: %s", req.Op, resp.Error)
	}
	return resp
}
