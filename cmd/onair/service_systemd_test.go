//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// systemdE2E is run by TestServiceSystemdUser inside a private mount
// namespace: it makes /run/systemd/system exist there only (so systemd and
// kardianos believe systemd booted), starts a real systemd user manager,
// and drives onair's service commands against it.
const systemdE2E = `
set -u
mount -t tmpfs tmpfs /run/systemd 2>/dev/null || { mkdir -p "$WORK/fake-run-systemd" && mount --bind "$WORK/fake-run-systemd" /run/systemd; } || exit 97
mkdir -p /run/systemd/system
/lib/systemd/systemd --user >"$WORK/manager.log" 2>&1 &
mgr=$!
for i in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/systemd/private" ] && break; sleep 0.1; done
[ -S "$XDG_RUNTIME_DIR/systemd/private" ] || exit 98
step() { echo "\$ $*"; "$@"; echo "[exit $?]"; }
step onair service install
step onair service install
step systemctl --user show onair.service -p Restart -p RestartUSec -p UnitFileState -p ActiveState
step ls "$HOME/.config/systemd/user/default.target.wants"
pid=$(systemctl --user show onair.service -p MainPID --value)
kill -9 "$pid"
# systemd restarts it after RestartSec=5s: poll for that state, with a
# deadline, instead of guessing how long it takes.
prop() { systemctl --user show onair.service -p "$1" --value; }
for i in $(seq 300); do
	[ "$(prop NRestarts)" = 1 ] && [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" != "$pid" ] && break
	sleep 0.1
done
step systemctl --user show onair.service -p NRestarts -p ActiveState
step onair service stop
step onair service status
# A daemon that cannot start (its config turned invalid): start waits,
# and says so with exit 1 instead of "running".
mkdir -p "$HOME/.config/onair"
printf 'version: 1\ngraph:\n  interval: soon\n' >"$HOME/.config/onair/config.yaml"
step onair service start
rm "$HOME/.config/onair/config.yaml"
step onair service stop
step onair service start
step onair service uninstall
step onair service status
# The user query finds nothing, but a system unit is installed: say so.
mount -t tmpfs tmpfs /etc/systemd/system
printf '[Service]\nExecStart=/bin/true\n' >/etc/systemd/system/onair.service
step onair service status
umount /etc/systemd/system
mkdir -p "$HOME/.config/systemd/user/onair.service.d"
printf '[Unit]\nRefuseManualStart=yes\n' >"$HOME/.config/systemd/user/onair.service.d/refuse.conf"
step onair service install
step test -e "$HOME/.config/systemd/user/onair.service"
step systemctl --user is-enabled onair.service
kill $mgr
wait $mgr
exit 0
`

// TestServiceSystemdUser installs, controls and uninstalls the user unit
// against a real systemd user manager: the unit starts and is enabled
// for default.target, a killed daemon is restarted after 5 s, installing
// twice is refused, start reports a daemon that does not start, status
// points to a system unit, and a failed start rolls everything back with
// systemctl's own message. It needs
// root (for a private mount namespace), unshare and systemd; it skips
// without them.
func TestServiceSystemdUser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a systemd user manager; skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private mount namespace (unshare -m)")
	}
	unshare := requireTool(t, "unshare")
	if _, err := os.Stat("/lib/systemd/systemd"); err != nil {
		if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
			t.Fatal("/lib/systemd/systemd not found and ONAIR_REQUIRE_TOOLS=1: apt-get install systemd")
		}
		t.Skip("/lib/systemd/systemd not found")
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "onair"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home, rt := filepath.Join(work, "home"), filepath.Join(work, "run")
	for _, d := range []string{home, rt} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A PID namespace of its own (sh is its init) ends the user manager
	// and the daemon with the script, and Pdeathsig ends the script with
	// the test, even when the test binary dies on a timeout.
	cmd := exec.Command(unshare, "-m", "-p", "--fork", "--kill-child", "--mount-proc", "--propagation", "private", "sh", "-c", systemdE2E)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = []string{"PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home, "XDG_RUNTIME_DIR=" + rt,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"USER=root", "WORK=" + work}
	outb, err := cmd.CombinedOutput()
	out := string(outb)
	if ee, ok := err.(*exec.ExitError); ok && (ee.ExitCode() == 97 || ee.ExitCode() == 98) || strings.Contains(out, "unshare failed") {
		log, _ := os.ReadFile(filepath.Join(work, "manager.log"))
		t.Skipf("cannot run a systemd user manager here (exit %v):\n%s\n%s", err, out, log)
	}
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Log(out)
	}
	unit := filepath.Join(home, ".config/systemd/user/onair.service")
	for _, want := range []string{
		"$ onair service install\nInstalled and started onair as a systemd user unit (" + unit + ").",
		"onair: service install: onair is already installed as a systemd user unit (" + unit + "); run 'onair service uninstall' first\n[exit 1]",
		"Restart=on-failure\nRestartUSec=5s\nActiveState=active\nUnitFileState=enabled",
		"onair.service\n[exit 0]", // in default.target.wants
		"NRestarts=1\nActiveState=active",
		"$ onair service stop\nservice: installed (systemd user unit " + unit + "), not running",
		"$ onair service status\nservice: installed (systemd user unit " + unit + "), not running (onair service start)\n[exit 1]",
		"$ onair service start\nonair: service start: it did not start: failed (it crashed or could not start: journalctl --user -u onair)\n[exit 1]",
		"\n[exit 1]\n$ onair service stop\n",
		"$ onair service start\nservice: installed (systemd user unit " + unit + "), running\n[exit 0]",
		"$ onair service uninstall\nUninstalled onair (systemd user unit " + unit + ").\n[exit 0]",
		"$ onair service status\nservice: not installed (onair service install)\n[exit 1]",
		"$ onair service status\nservice: no systemd user unit, but a systemd system unit is installed: onair service status --system\n[exit 1]",
		"onair: service install: systemctl --user start onair.service: exit status 4: Failed to start onair.service: Operation refused",
		"(rolled back: nothing is installed)\n[exit 1]\n$ test -e " + unit + "\n[exit 1]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks:\n%s\n--- output:\n%s", want, out)
		}
	}
}
