package lights

import (
	"context"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/onair-dev/onair/devices"
)

// usbTrace is a devices.Transport that logs every report at debug level, in
// hex, before passing it on. The lights output wraps each transport in it
// when the log level is debug, so USB traffic can be read off a user's log
// without a driver in package devices ever logging (periph.io traces its
// FTDI transport the same way, host/ftdi/debug.go).
type usbTrace struct {
	t     devices.Transport
	log   *slog.Logger
	light string
}

var _ devices.Transport = (*usbTrace)(nil)

func (u *usbTrace) logOp(op string, p []byte, err error) {
	args := []any{"light", u.light, "op", op, "len", len(p), "data", hex.EncodeToString(p)}
	if err != nil {
		args = append(args, "err", err)
	}
	u.log.Log(context.Background(), slog.LevelDebug, "usb", args...)
}

// Write implements devices.Transport.
func (u *usbTrace) Write(p []byte) (int, error) {
	n, err := u.t.Write(p)
	u.logOp("write", p, err)
	return n, err
}

// SendFeatureReport implements devices.Transport.
func (u *usbTrace) SendFeatureReport(p []byte) (int, error) {
	n, err := u.t.SendFeatureReport(p)
	u.logOp("feature", p, err)
	return n, err
}

// ReadTimeout implements devices.Transport. Reads that return nothing are
// not logged: a light with a button is asked ten times a second.
func (u *usbTrace) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	n, err := u.t.ReadTimeout(p, timeout)
	if n > 0 || err != nil {
		u.logOp("read", p[:max(n, 0)], err)
	}
	return n, err
}

// Close implements devices.Transport.
func (u *usbTrace) Close() error {
	err := u.t.Close()
	args := []any{"light", u.light, "op", "close"}
	if err != nil {
		args = append(args, "err", err)
	}
	u.log.Log(context.Background(), slog.LevelDebug, "usb", args...)
	return err
}
