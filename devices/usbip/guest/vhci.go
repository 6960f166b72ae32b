package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onair-dev/onair/devices/usbip"
	"github.com/onair-dev/onair/devices/usbip/e2e"
)

const vhci = "/sys/devices/platform/vhci_hcd.0"

// freePorts returns the free high-speed-hub ports of vhci_hcd (low- and
// full-speed devices attach there), from its status file: lines of
// "hub port sta spd dev sockfd local_busid", sta 004 = VDEV_ST_NULL.
func freePorts() ([]int, error) {
	f, err := os.Open(vhci + "/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ports []int
	s := bufio.NewScanner(f)
	for s.Scan() {
		fs := strings.Fields(s.Text())
		if len(fs) < 3 || fs[0] != "hs" || fs[2] != "004" {
			continue
		}
		if p, err := strconv.Atoi(fs[1]); err == nil {
			ports = append(ports, p)
		}
	}
	return ports, s.Err()
}

// attach imports busID from the host emulator and hands the connection to
// vhci_hcd, as `usbip attach` does: OP_REQ_IMPORT, then
// "<port> <sockfd> <devid> <speed>" into the attach file. The kernel keeps
// its own reference to the socket, so ours is closed afterwards.
func attach(busID string) (int, error) {
	c, err := net.DialTimeout("tcp", e2e.GuestUSBIPAddr, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("attach %s: %w", busID, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	rec, err := usbip.Import(c, busID)
	if err != nil {
		return 0, fmt.Errorf("attach %s: %w", busID, err)
	}
	c.SetDeadline(time.Time{})
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		return 0, fmt.Errorf("attach %s: %w", busID, err)
	}
	defer f.Close()
	ports, err := freePorts()
	if err != nil {
		return 0, fmt.Errorf("attach %s: %w", busID, err)
	}
	for _, p := range ports {
		line := fmt.Sprintf("%d %d %d %d", p, f.Fd(), rec.DevID(), rec.Speed)
		err = os.WriteFile(vhci+"/attach", []byte(line), 0)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, syscall.EBUSY) {
			break
		}
	}
	if err == nil {
		err = errors.New("no free vhci port")
	}
	return 0, fmt.Errorf("attach %s: %w", busID, err)
}

// detach removes the device on vhci port.
func detach(port int) error {
	if err := os.WriteFile(vhci+"/detach", []byte(strconv.Itoa(port)), 0); err != nil {
		return fmt.Errorf("detach port %d: %w", port, err)
	}
	return nil
}

// agent holds the state between requests: opened lights and the background
// process.
type agent struct {
	mu      sync.Mutex
	handles map[int]*light
	next    int

	proc     *exec.Cmd
	procDone chan struct{}
	procErr  error
}

func newAgent() *agent { return &agent{handles: map[int]*light{}} }

// start runs args in the background with env added to the environment and
// its output on the console.
func (a *agent) start(args, env []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.proc != nil {
		return errors.New("start: a process is already running")
	}
	if len(args) == 0 {
		return errors.New("start: no command")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", args[0], err)
	}
	a.proc = cmd
	a.procDone = make(chan struct{})
	go func() {
		a.procErr = cmd.Wait()
		close(a.procDone)
	}()
	return nil
}

// stop sends SIGTERM to the background process and waits for it.
func (a *agent) stop(timeout time.Duration) (string, error) {
	a.mu.Lock()
	cmd, done := a.proc, a.procDone
	a.proc = nil
	a.mu.Unlock()
	if cmd == nil {
		return "", errors.New("stop: nothing running")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	select {
	case <-done:
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		return "", fmt.Errorf("stop: %s did not exit within %v of SIGTERM", cmd.Path, timeout)
	}
	if a.procErr != nil {
		return a.procErr.Error(), nil
	}
	return "exit status 0", nil
}

// shutdown closes what the host left open.
func (a *agent) shutdown() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.handles {
		l.dev.Close()
	}
	if a.proc != nil {
		a.proc.Process.Kill()
	}
}
