//go:build !windows

package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
)

// listenControl listens on a Unix socket with mode 0600. A stale socket
// left by a crashed daemon is removed; a live one is an error.
func listenControl(path string) (net.Listener, string, func(), error) {
	if err := ensureDir(path); err != nil {
		return nil, "", nil, err
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, "", nil, fmt.Errorf("another onair is already running (socket %s answers); stop it first, or run `onair status`", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, "", nil, err
	}
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, "", nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	// net.UnixListener removes the socket file on Close.
	return ln, "", func() {}, nil
}

func dialControl(path string) (*http.Client, string, string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrPermission) {
		return nil, "", "", fmt.Errorf("cannot reach the daemon at %s: %w; it belongs to another user (for the system service: sudo -u onair onair --system status)", path, err)
	} else if err != nil {
		return nil, "", "", fmt.Errorf("%w (no socket at %s): start it with `onair run` or `onair service start`", ErrNotRunning, path)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	return &http.Client{Transport: tr}, "http://onair", "", nil
}
