//go:build windows

package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
)

// controlFile is what the Windows daemon writes where a Unix socket would be:
// the loopback address and a per-start secret. The file is readable by the
// user only (inherited ACL of the per-user or ProgramData directory).
type controlFile struct {
	Addr   string `json:"addr"`
	Secret string `json:"secret"`
}

func listenControl(path string) (net.Listener, string, func(), error) {
	if err := ensureDir(path); err != nil {
		return nil, "", nil, err
	}
	if b, err := os.ReadFile(path); err == nil {
		var cf controlFile
		if json.Unmarshal(b, &cf) == nil {
			if c, err := net.Dial("tcp", cf.Addr); err == nil {
				c.Close()
				return nil, "", nil, fmt.Errorf("another onair is already running (%s answers); stop it first, or run `onair status`", cf.Addr)
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	b := make([]byte, 32)
	rand.Read(b)
	cf := controlFile{Addr: ln.Addr().String(), Secret: hex.EncodeToString(b)}
	data, _ := json.Marshal(cf)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	return ln, cf.Secret, func() { os.Remove(path) }, nil
}

func dialControl(path string) (*http.Client, string, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", "", fmt.Errorf("%w (no control file at %s): start it with `onair run` or `onair service start`", ErrNotRunning, path)
	}
	var cf controlFile
	if err := json.Unmarshal(b, &cf); err != nil || cf.Addr == "" {
		return nil, "", "", errors.New("control file " + path + " is damaged: restart onair")
	}
	return &http.Client{}, "http://" + cf.Addr, cf.Secret, nil
}
