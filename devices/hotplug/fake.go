package hotplug

import (
	"context"
	"errors"
	"sync"
)

// Fake is a [WatchFunc] source for tests: the test hands events to the code
// under test with Send, makes Watch fail with Err, and simulates a watcher
// that dies with Break. The zero value is ready; safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	err     error
	live    *fakeWatch
	watches int
	waiters []chan struct{}
}

// fakeWatch is one live Watch. A forwarding goroutine owns out, so Break
// never closes a channel that Send is sending on.
type fakeWatch struct {
	ctx  context.Context
	in   chan fakeSend
	out  chan Event
	done chan struct{} // closed by Break or a later Watch
	once sync.Once
}

type fakeSend struct {
	e   Event
	ack chan struct{}
}

var _ WatchFunc = (&Fake{}).Watch

// SetErr makes later Watch calls fail with err (wrap ErrUnsupported to test
// the slow-rescan fallback); nil lets them succeed again.
func (f *Fake) SetErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// Watch implements WatchFunc. Only one watch is live at a time: a second
// call ends the first, whose channel is closed.
func (f *Fake) Watch(ctx context.Context) (<-chan Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if f.live != nil {
		f.live.stop()
	}
	w := &fakeWatch{ctx: ctx, in: make(chan fakeSend), out: make(chan Event), done: make(chan struct{})}
	go w.forward()
	f.live = w
	f.watches++
	for _, c := range f.waiters {
		close(c)
	}
	f.waiters = nil
	return w.out, nil
}

func (w *fakeWatch) stop() { w.once.Do(func() { close(w.done) }) }

func (w *fakeWatch) forward() {
	defer close(w.out)
	for {
		select {
		case s := <-w.in:
			select {
			case w.out <- s.e:
				close(s.ack)
			case <-w.done:
				return
			case <-w.ctx.Done():
				return
			}
		case <-w.done:
			return
		case <-w.ctx.Done():
			return
		}
	}
}

// Watches returns how many times Watch has succeeded.
func (f *Fake) Watches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.watches
}

// Watching returns a channel that is closed once a Watch is live, so a test
// can wait for the code under test to subscribe before it sends.
func (f *Fake) Watching() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(chan struct{})
	if f.live != nil {
		close(c)
	} else {
		f.waiters = append(f.waiters, c)
	}
	return c
}

// ErrNotWatching is returned by Send when no Watch is live, or it ended
// (Break, a later Watch, its context) before the event was taken.
var ErrNotWatching = errors.New("hotplug.Fake: nobody is watching")

// Send delivers e and returns once the code under test has received it from
// the channel.
func (f *Fake) Send(e Event) error {
	f.mu.Lock()
	w := f.live
	f.mu.Unlock()
	if w == nil {
		return ErrNotWatching
	}
	s := fakeSend{e: e, ack: make(chan struct{})}
	select {
	case w.in <- s:
	case <-w.done:
		return ErrNotWatching
	case <-w.ctx.Done():
		return ErrNotWatching
	}
	select {
	case <-s.ack:
		return nil
	case <-w.done:
		return ErrNotWatching
	case <-w.ctx.Done():
		return ErrNotWatching
	}
}

// Break closes the live watch's channel, as when the OS source fails; the
// code under test should fall back to rescanning (and may Watch again).
func (f *Fake) Break() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live != nil {
		f.live.stop()
		f.live = nil
	}
}
