package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// SkipMessage is the reason the suite gives when QEMU or the assets are
// missing.
const SkipMessage = "e2e needs qemu-system-x86 and kernel assets: run .ci/e2e-assets.sh"

// Assets are the cached guest files that .ci/e2e-assets.sh provides.
type Assets struct {
	Dir     string
	QEMU    string   // qemu-system-x86_64
	Vmlinux string   // uncompressed ELF kernel, booted via PVH
	Busybox string   // static busybox
	Modules []string // .ko files in load order
	Kernel  string   // kernel release, for logs
}

// RepoRoot returns the directory holding go.mod, searching up from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2e: no go.mod above the working directory")
		}
		dir = parent
	}
}

// FindAssets locates QEMU and the asset cache: $ONAIR_E2E_ASSETS, or
// <repo>/.cache/e2e. The error says what is missing.
func FindAssets() (Assets, error) {
	var a Assets
	dir := os.Getenv("ONAIR_E2E_ASSETS")
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return a, err
		}
		dir = filepath.Join(root, ".cache", "e2e")
	}
	a.Dir = dir
	var missing []string
	q, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		missing = append(missing, "qemu-system-x86_64 in PATH")
	}
	a.QEMU = q
	a.Vmlinux = filepath.Join(dir, "vmlinux")
	a.Busybox = filepath.Join(dir, "busybox")
	for _, f := range []string{a.Vmlinux, a.Busybox} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			missing = append(missing, f)
		}
	}
	order, err := os.ReadFile(filepath.Join(dir, "modules.order"))
	if err != nil {
		missing = append(missing, filepath.Join(dir, "modules.order"))
	}
	for _, m := range strings.Fields(string(order)) {
		f := filepath.Join(dir, "modules", m+".ko")
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
		a.Modules = append(a.Modules, f)
	}
	if k, err := os.ReadFile(filepath.Join(dir, "kernel-version")); err == nil {
		a.Kernel = strings.TrimSpace(string(k))
	}
	if len(missing) > 0 {
		return a, fmt.Errorf("%s (missing: %s)", SkipMessage, strings.Join(missing, ", "))
	}
	return a, nil
}

// BuildStatic builds the Go main package pkg (an import path or ./dir
// relative to the repo root) as a static cgo binary at out. karalabe/hid
// compiles hidapi and libusb in; -DNO_ICONV makes hidapi convert USB strings
// without iconv, whose gconv modules a static glibc binary cannot load.
func BuildStatic(ctx context.Context, root, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out,
		"-tags", "netgo,osusergo",
		"-ldflags", `-s -w -linkmode external -extldflags "-static"`, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "CGO_CFLAGS=-O2 -g -DNO_ICONV", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// Links reports whether the main package pkg depends on the package dep
// (go list -deps).
func Links(ctx context.Context, root, pkg, dep string) bool {
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(l) == dep {
			return true
		}
	}
	return false
}

// File is one file of the initramfs.
type File struct {
	Name string // path inside the guest, without leading slash
	Mode os.FileMode
	Data []byte
	Src  string // read from this host file when Data is nil
}

// WriteInitramfs writes a gzip-compressed newc cpio archive of files,
// creating parent directories as needed.
func WriteInitramfs(w io.Writer, files []File) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	ino := 1
	dirs := map[string]bool{}
	entry := func(name string, mode uint32, data []byte) error {
		ino++
		hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
		buf := append([]byte(hdr), name...)
		buf = append(buf, 0)
		for len(buf)%4 != 0 {
			buf = append(buf, 0)
		}
		buf = append(buf, data...)
		for len(buf)%4 != 0 {
			buf = append(buf, 0)
		}
		_, err := zw.Write(buf)
		return err
	}
	for _, f := range files {
		parts := strings.Split(f.Name, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/")
			if !dirs[d] {
				dirs[d] = true
				if err := entry(d, 0o040755, nil); err != nil {
					return err
				}
			}
		}
		data := f.Data
		if data == nil && f.Src != "" {
			if data, err = os.ReadFile(f.Src); err != nil {
				return err
			}
		}
		if err := entry(f.Name, 0o100000|uint32(f.Mode.Perm()), data); err != nil {
			return err
		}
	}
	if err := entry("TRAILER!!!", 0, nil); err != nil {
		return err
	}
	return zw.Close()
}

// initScript is the guest's /init: mount the pseudo file systems, load the
// modules in order, bring up the only NIC, run the agent, power off. The
// agent's exit status is printed for the host to check.
const initScript = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m.ko || echo "onair-init: insmod $m failed"; done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
echo "onair-init: up after $(cut -d' ' -f1 /proc/uptime) s"
/agent
echo "onair-guest-exit=$?"
poweroff -f
`

// InitramfsFiles returns the initramfs contents: busybox, /init, the modules
// and the given extra files (the agent at "agent", optionally "onair").
func InitramfsFiles(a Assets, extra ...File) []File {
	files := []File{
		{Name: "init", Mode: 0o755, Data: []byte(initScript)},
		{Name: "bin/busybox", Mode: 0o755, Src: a.Busybox},
	}
	var order []string
	for _, m := range a.Modules {
		name := strings.TrimSuffix(filepath.Base(m), ".ko")
		order = append(order, name)
		files = append(files, File{Name: "lib/modules/" + name + ".ko", Mode: 0o644, Src: m})
	}
	files = append(files, File{Name: "modules.order", Mode: 0o644, Data: []byte(strings.Join(order, "\n") + "\n")})
	return append(files, extra...)
}

// VMOptions configures Boot.
type VMOptions struct {
	Assets Assets
	// Initrd is the initramfs path.
	Initrd string
	// USBIP and Control are the loopback addresses (host:port) that the
	// guest's GuestUSBIPAddr and GuestControlAddr lead to.
	USBIP, Control string
	// Relay is the argv prefix of a program that copies its stdin/stdout
	// to the TCP address appended as the last argument (see Relay). QEMU
	// runs one per guest connection.
	Relay []string
	// MemoryMB is the guest RAM; 0 means 512.
	MemoryMB int
}

// VM is one running guest.
type VM struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu      sync.Mutex
	console bytes.Buffer
}

// Boot starts QEMU with TCG (KVM on this machine is PVM and cannot run the
// stock kernel), the PVH-bootable vmlinux, the initrd, the serial console on
// stdio, and a user network restricted to the two guestfwd relays.
func Boot(ctx context.Context, o VMOptions) (*VM, error) {
	mem := o.MemoryMB
	if mem == 0 {
		mem = 512
	}
	relay := func(target string) string {
		args := append(append([]string(nil), o.Relay...), target)
		for _, a := range args {
			if strings.ContainsAny(a, ", \t'\"") {
				panic(fmt.Sprintf("e2e: relay argument %q needs quoting", a))
			}
		}
		return "cmd:" + strings.Join(args, " ")
	}
	netdev := fmt.Sprintf("user,id=n0,restrict=on,guestfwd=tcp:%s-%s,guestfwd=tcp:%s-%s",
		GuestUSBIPAddr, relay(o.USBIP), GuestControlAddr, relay(o.Control))
	args := []string{
		"-accel", "tcg", "-m", fmt.Sprint(mem), "-smp", "1", "-nodefaults", "-no-reboot",
		"-display", "none", "-serial", "stdio", "-monitor", "none",
		"-kernel", o.Assets.Vmlinux, "-initrd", o.Initrd,
		"-append", "console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off nokaslr tsc=reliable no_timer_check",
		"-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,romfile=",
	}
	cmd := exec.CommandContext(ctx, o.Assets.QEMU, args...)
	vm := &VM{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = (*consoleWriter)(vm)
	cmd.Stderr = (*consoleWriter)(vm)
	cmd.Stdin = nil
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	go func() {
		vm.err = cmd.Wait()
		close(vm.done)
	}()
	return vm, nil
}

type consoleWriter VM

func (w *consoleWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.console.Write(p)
}

// Console returns the serial console output so far.
func (vm *VM) Console() string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.console.String()
}

// Wait waits for QEMU to exit, at most until ctx is done, then kills it.
func (vm *VM) Wait(ctx context.Context) error {
	select {
	case <-vm.done:
		return vm.err
	case <-ctx.Done():
		vm.cmd.Process.Kill()
		<-vm.done
		return fmt.Errorf("qemu killed: %w", ctx.Err())
	}
}

// Done is closed when QEMU has exited.
func (vm *VM) Done() <-chan struct{} { return vm.done }

// Relay copies between stdin/stdout (the guest connection QEMU hands a
// guestfwd command) and a TCP connection to addr, until either side closes.
// The test binary runs it when QEMU starts it as the guestfwd command.
func Relay(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	done := make(chan struct{}, 2)
	go func() {
		io.Copy(c, os.Stdin)
		c.(*net.TCPConn).CloseWrite()
		done <- struct{}{}
	}()
	go func() {
		io.Copy(os.Stdout, c)
		done <- struct{}{}
	}()
	// The USB/IP side closing (an unplug) must end the guest connection at
	// once, so do not wait for the guest's side.
	<-done
	return nil
}

// Guest is the host end of the control connection to the guest agent.
type Guest struct {
	c   net.Conn
	r   *bufio.Reader
	log func(string, ...any)
}

// NewGuest wraps an accepted control connection. log receives every request
// and reply (pass t.Logf); nil discards.
func NewGuest(c net.Conn, log func(string, ...any)) *Guest {
	if log == nil {
		log = func(string, ...any) {}
	}
	return &Guest{c: c, r: bufio.NewReader(c), log: log}
}

// Do sends req and waits for the reply, at most the request's timeout plus
// 30 s (the agent answers ErrHang itself when a call blocks).
func (g *Guest) Do(req Request) (Response, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return Response{}, err
	}
	g.c.SetDeadline(time.Now().Add(time.Duration(req.TimeoutMS)*time.Millisecond + 30*time.Second))
	if _, err := g.c.Write(append(b, '\n')); err != nil {
		return Response{}, fmt.Errorf("send %s: %w", req.Op, err)
	}
	line, err := g.r.ReadBytes('\n')
	if err != nil {
		return Response{}, fmt.Errorf("read reply to %s: %w", req.Op, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("bad reply %q: %w", line, err)
	}
	g.log("guest %s → %s", b, bytes.TrimSpace(line))
	return resp, nil
}

// Close closes the control connection.
func (g *Guest) Close() error { return g.c.Close() }
