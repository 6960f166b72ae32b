package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/daemon/output"
)

// userJSON is one user as the events and the fallback state document show
// it. The field names match `onair status --json` users, plus the *_ms
// fields (Unix milliseconds, 0 when unknown) so an old browser need not
// parse dates.
type userJSON struct {
	User          string    `json:"user"`
	Name          string    `json:"name"`
	Availability  string    `json:"availability"`
	Activity      string    `json:"activity"`
	StatusMessage string    `json:"status_message,omitempty"`
	OutOfOffice   bool      `json:"out_of_office,omitempty"`
	State         string    `json:"state"`
	Since         time.Time `json:"since,omitzero"`
	SinceMS       int64     `json:"since_ms"`
	Until         time.Time `json:"until,omitzero"`
	UntilMS       int64     `json:"until_ms"`
	NextBusy      time.Time `json:"next_busy,omitzero"`
	NextBusyMS    int64     `json:"next_busy_ms"`
	Color         string    `json:"color"`
	Brightness    int       `json:"brightness"`
	Effect        string    `json:"effect"`
	Label         string    `json:"label"`
	Rule          string    `json:"rule"`
	Error         string    `json:"error,omitempty"`
}

type healthJSON struct {
	State       string    `json:"state"`
	Error       string    `json:"error,omitempty"`
	Remedy      string    `json:"remedy,omitempty"`
	LastPoll    time.Time `json:"last_poll,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   time.Time `json:"last_error,omitzero"`
}

// daemonJSON is the `health` event: everything on the board that is not a
// user.
type daemonJSON struct {
	Health      healthJSON       `json:"health"`
	Paused      bool             `json:"paused"`
	PausedUntil time.Time        `json:"paused_until,omitzero"`
	Override    *output.Override `json:"override,omitempty"`
	Outputs     []output.Status  `json:"outputs"`
}

// stateJSON is the `snapshot` event and the fallback /api/v1/state.
type stateJSON struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time,omitzero"`
	daemonJSON
	Users []userJSON `json:"users"`
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func userOf(u output.UserView) userJSON {
	label := u.Signal.Label
	if label == "" {
		label = string(u.Presence.Availability)
	}
	return userJSON{
		User: u.Key, Name: u.Name, Availability: string(u.Presence.Availability), Activity: string(u.Presence.Activity),
		StatusMessage: u.Presence.StatusMessage, OutOfOffice: u.Presence.OutOfOffice,
		State: u.State.String(), Since: u.Since, SinceMS: ms(u.Since),
		Until: u.BusyUntil, UntilMS: ms(u.BusyUntil), NextBusy: u.NextBusy, NextBusyMS: ms(u.NextBusy),
		Color: u.Signal.Color.String(), Brightness: u.Signal.Brightness, Effect: string(u.Signal.Effect),
		Label: label, Rule: u.Signal.Rule, Error: u.Err,
	}
}

func (w *Web) daemonOf(s *output.Snapshot) daemonJSON {
	d := daemonJSON{
		Health: healthJSON{
			State: s.Health.State.String(), Error: s.Health.Err, Remedy: s.Health.Remedy,
			LastPoll: s.Health.LastPoll, LastSuccess: s.Health.LastSuccess, LastError: s.Health.LastError,
		},
		Paused: s.Paused, PausedUntil: s.PausedUntil, Override: s.Override,
	}
	if w.opts.Outputs != nil {
		d.Outputs = w.opts.Outputs()
	}
	if d.Outputs == nil {
		d.Outputs = []output.Status{}
	}
	return d
}

// stateOf builds the whole-state document, for one user when user != "".
func (w *Web) stateOf(s *output.Snapshot, user string) stateJSON {
	st := stateJSON{Users: []userJSON{}}
	if s == nil {
		st.Health.State = "starting"
		st.Outputs = []output.Status{}
		return st
	}
	st.Seq, st.Time, st.daemonJSON = s.Seq, s.Time, w.daemonOf(s)
	for _, u := range s.Users {
		if user == "" || u.Key == user {
			st.Users = append(st.Users, userOf(u))
		}
	}
	return st
}

// event is one encoded SSE frame. Key says what it replaces in a slow
// client's queue: "user:<key>", "health" or "snapshot".
type event struct {
	key  string
	user string // the user it concerns, "" for all
	data []byte
}

func frame(typ string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Our own types always encode; this would be a bug.
		panic(fmt.Sprintf("web: encode %s event: %v", typ, err))
	}
	return fmt.Appendf(nil, "event: %s\ndata: %s\n\n", typ, b)
}

// events returns the events that take the pages from prev to cur: a whole
// snapshot when the user list changed shape (or on Resend), else one user
// event per changed user (output.Changed) and a health event when the
// daemon's part changed. last holds the last user frame sent per key, so a
// view that changed only in fields the pages do not show (the time of the
// last observation) sends nothing.
func (w *Web) events(prev, cur *output.Snapshot, last map[string]string, lastHealth *string) []event {
	var ev []event
	d := frame("health", w.daemonOf(cur))
	if string(d) != *lastHealth {
		*lastHealth = string(d)
		ev = append(ev, event{key: "health", data: d})
	}
	if prev == nil || cur.Resend || !sameKeys(prev, cur) {
		clear(last)
		for _, u := range cur.Users {
			last[u.Key] = string(frame("user", userOf(u)))
		}
		return []event{{key: "snapshot"}} // encoded per client: it is filtered
	}
	for _, i := range output.Changed(prev, cur) {
		u := cur.Users[i]
		f := frame("user", userOf(u))
		if last[u.Key] == string(f) {
			continue
		}
		last[u.Key] = string(f)
		ev = append(ev, event{key: "user:" + u.Key, user: u.Key, data: f})
	}
	return ev
}

func sameKeys(a, b *output.Snapshot) bool {
	if len(a.Users) != len(b.Users) {
		return false
	}
	for i := range a.Users {
		if a.Users[i].Key != b.Users[i].Key || a.Users[i].Name != b.Users[i].Name {
			return false
		}
	}
	return true
}

// hub fans events out to the connected streams. Each client keeps at most
// one pending frame per key, so a slow client (an old tablet on bad Wi-Fi)
// gets the latest state when it catches up, never a growing backlog.
type hub struct {
	mu   sync.Mutex
	subs map[*client]struct{}
	done chan struct{}
	shut bool
}

type client struct {
	user    string
	mu      sync.Mutex
	order   []string
	pending map[string]event
	wake    chan struct{}
}

func newHub() *hub { return &hub{subs: map[*client]struct{}{}, done: make(chan struct{})} }

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *hub) add(user string) *client {
	c := &client{user: user, pending: map[string]event{}, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shut {
		return nil
	}
	h.subs[c] = struct{}{}
	return c
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.shut {
		h.shut = true
		close(h.done)
	}
}

func (h *hub) publish(ev []event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		c.push(ev)
	}
}

func (c *client) push(ev []event) {
	c.mu.Lock()
	n := 0
	for _, e := range ev {
		if c.user != "" && e.user != "" && e.user != c.user {
			continue
		}
		if e.key == "snapshot" {
			// A snapshot supersedes everything queued before it.
			c.order, c.pending = c.order[:0], map[string]event{}
		}
		if _, ok := c.pending[e.key]; !ok {
			c.order = append(c.order, e.key)
		}
		c.pending[e.key] = e
		n++
	}
	c.mu.Unlock()
	if n > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

func (c *client) take() []event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]event, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, c.pending[k])
	}
	c.order, c.pending = c.order[:0], map[string]event{}
	return out
}

// serveEvents streams Server-Sent Events: a snapshot first, then health and
// user events as they happen, and a heartbeat every Heartbeat.
// ?user=<key> limits user events to that user (the door sign).
func (w *Web) serveEvents(rw http.ResponseWriter, r *http.Request) {
	fl, ok := rw.(http.Flusher)
	if !ok {
		http.Error(rw, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	user := r.URL.Query().Get("user")
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Proxies such as nginx buffer responses unless told not to.
	h.Set("X-Accel-Buffering", "no")
	if r.Method == http.MethodHead {
		return
	}
	out, flush, done := compress(rw, r, fl)
	defer done()
	c := w.hub.add(user)
	if c == nil {
		http.Error(rw, "onair is stopping", http.StatusServiceUnavailable)
		return
	}
	defer w.hub.remove(c)
	// Subscribed before the snapshot is read, so no change falls between
	// them; a change seen twice is harmless (events are idempotent).
	var buf bytes.Buffer
	// retry: the browser reconnects after 2 s instead of its 3–5 s default.
	buf.WriteString("retry: 2000\n\n")
	buf.Write(frame("snapshot", w.stateOf(w.snap.Load(), user)))
	if _, err := out.Write(buf.Bytes()); err != nil {
		return
	}
	flush()
	tick := time.NewTicker(Heartbeat)
	defer tick.Stop()
	for {
		buf.Reset()
		select {
		case <-r.Context().Done():
			return
		case <-w.hub.done:
			return
		case now := <-tick.C:
			buf.Write(frame("heartbeat", map[string]int64{"time_ms": now.UnixMilli()}))
		case <-c.wake:
			for _, e := range c.take() {
				if e.key == "snapshot" {
					buf.Write(frame("snapshot", w.stateOf(w.snap.Load(), user)))
					continue
				}
				buf.Write(e.data)
			}
		}
		if _, err := out.Write(buf.Bytes()); err != nil {
			return
		}
		flush()
	}
}

// compress gzips a response when the client accepts it: a board's first
// snapshot of 1,000 users shrinks from about 280 KB to a few dozen, which
// matters to a tablet on weak Wi-Fi. flush pushes what was written to the
// client; done ends the response.
func compress(rw http.ResponseWriter, r *http.Request, fl http.Flusher) (io.Writer, func(), func()) {
	rw.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return rw, fl.Flush, func() {}
	}
	rw.Header().Set("Content-Encoding", "gzip")
	gz, _ := gzip.NewWriterLevel(rw, gzip.BestSpeed) // a valid level: no error
	return gz, func() { gz.Flush(); fl.Flush() }, func() { gz.Close() }
}

// acceptsGzip reports whether an Accept-Encoding header lists gzip with a
// non-zero quality.
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// serveState serves /api/v1/state: the daemon's status document when it
// injected one, else the snapshot document.
func (w *Web) serveState(rw http.ResponseWriter, r *http.Request) {
	var v any
	if w.opts.State != nil {
		v = w.opts.State()
	} else {
		v = w.stateOf(w.snap.Load(), r.URL.Query().Get("user"))
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(rw, "encode state: "+err.Error(), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	out, _, done := compress(rw, r, noFlush{})
	defer done()
	out.Write(append(b, '\n'))
}

type noFlush struct{}

func (noFlush) Flush() {}
