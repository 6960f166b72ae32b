//go:build !darwin || cgo

package tray

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"fyne.io/systray"

	"github.com/onair-dev/onair/daemon"
)

// Run shows the tray icon until ctx is done or the user chooses Quit. It
// polls the daemon every opts.Interval and right after each menu action.
// fyne.io/systray keeps its state in globals and cannot start twice, so Run
// may be called once per process; on Windows and macOS it must be called
// from the main goroutine (systray locks it to the main OS thread).
func Run(ctx context.Context, opts Options) error {
	if err := opts.defaults(); err != nil {
		return err
	}
	if err := preflight(opts.Logger); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var loopErr error
	systray.Run(func() {
		wg.Go(func() {
			loopErr = newBinding(opts).loop(ctx)
			systray.Quit()
		})
	}, nil)
	cancel()
	wg.Wait()
	return loopErr
}

// binding keeps the systray menu items and what they show now, so that
// only changes go out over D-Bus or to the shell.
type binding struct {
	opts  Options
	items [numSlots]*systray.MenuItem
	shown [numSlots]Item
	icon  struct {
		kind  IconKind
		color [4]uint8
		set   bool
	}
	tooltip string
}

func newBinding(opts Options) *binding { return &binding{opts: opts} }

func (b *binding) build() {
	systray.SetTitle("onair")
	for s := range numSlots {
		if SeparatorBefore(s) {
			systray.AddSeparator()
		}
		if Checkable(s) {
			b.items[s] = systray.AddMenuItemCheckbox(actionLabels[s], "", false)
		} else {
			b.items[s] = systray.AddMenuItem(actionLabels[s], "")
		}
		b.shown[s] = Item{Label: actionLabels[s], Visible: true, Enabled: true}
	}
}

func (b *binding) apply(m Model) {
	if !b.icon.set || b.icon.kind != m.Icon || (m.Icon == IconSignal && b.icon.color != [4]uint8{m.Color.R, m.Color.G, m.Color.B, m.Color.A}) {
		img := Render(m)
		if runtime.GOOS == "windows" {
			systray.SetIcon(EncodeICO(img))
		} else {
			systray.SetIcon(EncodePNG(img))
		}
		b.icon.set, b.icon.kind, b.icon.color = true, m.Icon, [4]uint8{m.Color.R, m.Color.G, m.Color.B, m.Color.A}
	}
	if m.Tooltip != b.tooltip {
		systray.SetTooltip(m.Tooltip)
		b.tooltip = m.Tooltip
	}
	for s, want := range m.Items {
		it, had := b.items[s], b.shown[s]
		if want.Label != had.Label {
			it.SetTitle(want.Label)
		}
		if want.Enabled != had.Enabled {
			if want.Enabled {
				it.Enable()
			} else {
				it.Disable()
			}
		}
		if want.Checked != had.Checked {
			if want.Checked {
				it.Check()
			} else {
				it.Uncheck()
			}
		}
		if want.Visible != had.Visible {
			if want.Visible {
				it.Show()
			} else {
				it.Hide()
			}
		}
		b.shown[s] = want
	}
}

func (b *binding) loop(ctx context.Context) error {
	b.build()
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// systray drops a click when nobody waits on the item's ClickedCh
	// (systrayMenuItemSelected sends without blocking), so every forwarder
	// is running before the first status is shown.
	clicks := make(chan Slot)
	var ready sync.WaitGroup
	for s, it := range b.items {
		if !IsAction(Slot(s)) {
			continue
		}
		ready.Add(1)
		wg.Go(func() {
			ready.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-it.ClickedCh:
				}
				select {
				case clicks <- Slot(s):
				case <-ctx.Done():
					return
				}
			}
		})
	}
	signedIn := make(chan error, 1)
	signingIn := false

	in := Input{BoardURL: b.opts.BoardURL, CanSignIn: b.opts.SignIn != nil}
	show := func(st daemon.Status, err error) {
		in.Status, in.Err, in.Now = st, err, time.Now()
		in.CanSignIn = b.opts.SignIn != nil && !signingIn
		b.apply(Build(in))
	}
	refresh := func() {
		st, err := b.opts.Client.Status(ctx)
		if ctx.Err() != nil {
			return
		}
		show(st, err)
	}
	ready.Wait()
	refresh()
	tick := time.NewTicker(b.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			refresh()
		case err := <-signedIn:
			signingIn = false
			in.ActionErr = err
			if err != nil {
				b.opts.Logger.Warn("sign-in failed", "err", err)
			}
			refresh()
		case s := <-clicks:
			b.opts.Logger.Debug("menu", "item", Label(s))
			in.ActionErr = nil
			switch s {
			case SlotQuit:
				return nil
			case SlotOpenBoard:
				url := b.opts.BoardURL
				if url == "" {
					url = BoardURL(in.Status)
				}
				if url == "" || b.opts.OpenURL == nil {
					in.ActionErr = errors.New("no presence board address is known")
				} else {
					in.ActionErr = b.opts.OpenURL(url)
				}
				refresh()
			case SlotSignIn:
				if b.opts.SignIn == nil || signingIn {
					continue
				}
				signingIn = true
				wg.Go(func() { signedIn <- b.opts.SignIn(ctx) })
				refresh()
			default:
				st, err := Do(ctx, b.opts.Client, s)
				if err != nil {
					b.opts.Logger.Warn("menu action failed", "item", Label(s), "err", err)
					in.ActionErr = err
					refresh()
					continue
				}
				show(st, nil)
			}
		}
	}
}
