package tray

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Options configure Run.
type Options struct {
	// Client reaches the daemon. Required.
	Client Client
	// Interval is how often the tray asks the daemon for its status, since
	// the control API has no change feed. Default: DefaultInterval.
	Interval time.Duration
	// BoardURL is the presence board to open from the menu; empty means
	// the first web output the daemon reports, and no menu entry if none.
	BoardURL string
	// OpenURL opens an address in the user's browser. Required for Open
	// board.
	OpenURL func(url string) error
	// SignIn starts an interactive sign-in and returns when it is done
	// (`onair login --browser`). Nil disables Sign in….
	SignIn func(ctx context.Context) error
	// Logger receives the tray's logs. Default: discard.
	Logger *slog.Logger
}

// DefaultInterval is how often the tray polls the daemon by default: often
// enough that a change made elsewhere shows within a couple of seconds, and
// one local request per poll costs nothing measurable.
const DefaultInterval = 2 * time.Second

// ErrNeedsCgo is returned by Run on macOS in a binary built without cgo:
// the macOS status bar is reachable only through Cocoa.
var ErrNeedsCgo = errors.New("onair tray on macOS needs a build with cgo (Cocoa); this binary was built with CGO_ENABLED=0: install onair from Homebrew, or build it with CGO_ENABLED=1 go build ./cmd/onair")

func (o *Options) defaults() error {
	if o.Client == nil {
		return errors.New("tray: no control API client")
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
