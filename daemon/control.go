package daemon

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// ErrNotRunning is returned by the control client when no daemon answers.
var ErrNotRunning = errors.New("onair is not running")

// Status is what `onair status --json` prints: a stable, documented shape.
type Status struct {
	Version  string `json:"version"`
	Mode     string `json:"mode"` // "graph", "app" (app-only, no sign-in) or "demo"
	Account  string `json:"account,omitempty"`
	Interval string `json:"interval"`
	// Goroutines is the daemon's goroutine count, which a soak test
	// watches for leaks (make soak).
	Goroutines int `json:"goroutines"`
	Health     struct {
		State       string    `json:"state"` // ok, login-required, stale, error (mapping.State.String)
		Error       string    `json:"error,omitempty"`
		Remedy      string    `json:"remedy,omitempty"`
		LastPoll    time.Time `json:"last_poll,omitzero"`
		LastSuccess time.Time `json:"last_success,omitzero"`
		LastError   time.Time `json:"last_error,omitzero"`
		// Conditions are local problems that do not stop presence, one
		// line each ("config: reload failed (…)", "storage: …").
		Conditions []string `json:"conditions,omitempty"`
	} `json:"health"`
	Users       []UserStatus     `json:"users"`
	Override    *output.Override `json:"override,omitempty"`
	Paused      bool             `json:"paused"`
	PausedUntil time.Time        `json:"paused_until,omitzero"`
	Schedule    string           `json:"schedule"`
	Working     bool             `json:"working_hours"`
	Outputs     []output.Status  `json:"outputs"`
}

// UserStatus is one watched user in Status. Availability, Activity and
// StatusMessage are what Teams says; Busy, Color, Effect, Label and Rule
// are the shown signal, after an override or pause.
type UserStatus struct {
	User          string    `json:"user"`
	Name          string    `json:"name"`
	Busy          bool      `json:"busy"`
	Availability  string    `json:"availability"`
	Activity      string    `json:"activity"`
	StatusMessage string    `json:"status_message,omitempty"`
	OutOfOffice   bool      `json:"out_of_office,omitempty"`
	State         string    `json:"state"`
	Since         time.Time `json:"since,omitzero"`
	Color         string    `json:"color"`
	Brightness    int       `json:"brightness"`
	Effect        string    `json:"effect"`
	Label         string    `json:"label"`
	Rule          string    `json:"rule"`
	Error         string    `json:"error,omitempty"`
	// BusyUntil and NextBusy are from the calendar (calendar.enabled).
	BusyUntil time.Time `json:"busy_until,omitzero"`
	NextBusy  time.Time `json:"next_busy,omitzero"`
}

// Status describes the daemon for `onair status`.
func (d *Daemon) Status(ctx context.Context) Status {
	snap := d.Snapshot()
	var st Status
	st.Version = d.opts.Version
	st.Goroutines = runtime.NumGoroutine()
	st.Mode = "graph"
	if d.opts.Demo {
		st.Mode = "demo"
	} else if d.set.App != nil {
		st.Mode = "app"
	}
	set := d.settings()
	st.Interval = set.Interval.String()
	d.mu.Lock()
	account := d.account
	d.mu.Unlock()
	if account != nil {
		acct, err := account(ctx)
		if err != nil {
			st.Account = "(" + err.Error() + ")"
		} else {
			st.Account = acct
		}
	}
	st.Health.State = snap.Health.State.String()
	st.Health.Error, st.Health.Remedy = snap.Health.Err, snap.Health.Remedy
	st.Health.LastPoll, st.Health.LastSuccess, st.Health.LastError = snap.Health.LastPoll, snap.Health.LastSuccess, snap.Health.LastError
	for _, u := range snap.Users {
		st.Users = append(st.Users, UserStatus{
			User: u.Key, Name: u.Name, Busy: u.Busy, Availability: string(u.Presence.Availability), Activity: string(u.Presence.Activity),
			StatusMessage: u.Presence.StatusMessage, OutOfOffice: u.Presence.OutOfOffice,
			State: u.State.String(), Since: u.Since, Color: u.Signal.Color.String(), Brightness: u.Signal.Brightness,
			Effect: string(u.Signal.Effect), Label: u.Signal.Label, Rule: u.Signal.Rule, Error: u.Err,
			BusyUntil: u.BusyUntil, NextBusy: u.NextBusy,
		})
	}
	st.Override, st.Paused, st.PausedUntil = snap.Override, snap.Paused, snap.PausedUntil
	st.Health.Conditions = snap.Conditions
	st.Schedule = set.Schedule.String()
	st.Working = set.Schedule.Working(time.Now())
	st.Outputs = d.Outputs()
	return st
}

// OverrideRequest is the body of POST /v1/override, and what `onair set`
// sends: the override in the shared grammar (status, color, effect, label,
// for), plus whose and from where.
type OverrideRequest struct {
	// Status is a presence word or a colour: "busy", "InAMeeting", "dnd",
	// "#ff0000".
	Status string `json:"status,omitempty"`
	// Color is a colour shown directly; with a presence Status the colour
	// is shown and the presence reported.
	Color  string `json:"color,omitempty"`
	Effect string `json:"effect,omitempty"`
	Label  string `json:"label,omitempty"`
	User   string `json:"user,omitempty"`
	// For is a duration ("30m", "2d", "90" seconds; in JSON also a number
	// of seconds); empty means until cleared.
	For    string `json:"for,omitempty"`
	Source string `json:"source,omitempty"`
}

// UnmarshalJSON reads a request body as MQTT's JSON commands are read:
// "for" may be a string ("30m") or a number of seconds (90). Unknown
// fields are errors, as for every control API body.
func (r *OverrideRequest) UnmarshalJSON(b []byte) error {
	type wire OverrideRequest
	var w struct {
		wire
		For mapping.DurationText `json:"for,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*r = OverrideRequest(w.wire)
	r.For = string(w.For)
	return nil
}

// Text is the override part of r in the shared grammar.
func (r OverrideRequest) Text() mapping.OverrideText {
	return mapping.OverrideText{Status: r.Status, Color: r.Color, Effect: r.Effect, Label: r.Label, For: mapping.DurationText(r.For)}
}

// ParseOverride turns a request into an Override and its duration with the
// vocabulary every interface shares (mapping.OverrideText.Parse), so that
// `onair set`, the control API and MQTT read the same words the same way.
func ParseOverride(r OverrideRequest) (output.Override, time.Duration, error) {
	mo, err := r.Text().Parse()
	if err != nil {
		return output.Override{User: r.User, Source: r.Source}, 0, err
	}
	return output.OverrideOf(mo, r.User, r.Source), mo.For, nil
}

// ParseFor parses an optional duration (mapping.ParseDuration): "30m",
// "2d", "90" (seconds); "" is 0; at most mapping.MaxOverride.
func ParseFor(s string) (time.Duration, error) { return mapping.ParseDuration(s) }

type controlServer struct {
	d   *Daemon
	ln  net.Listener
	srv *http.Server
	// secret, when set, must come as a bearer token (Windows loopback).
	secret  string
	cleanup func()
}

func (d *Daemon) listenControl() (*controlServer, error) {
	ln, secret, cleanup, err := listenControl(d.opts.Paths.Socket)
	if err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	cs := &controlServer{d: d, ln: ln, secret: secret, cleanup: cleanup}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", cs.status)
	mux.HandleFunc("POST /v1/override", cs.setOverride)
	mux.HandleFunc("DELETE /v1/override", cs.clearOverride)
	mux.HandleFunc("POST /v1/pause", cs.pause)
	mux.HandleFunc("POST /v1/resume", cs.resume)
	mux.HandleFunc("POST /v1/poll", cs.poll)
	mux.HandleFunc("POST /v1/reload", cs.reload)
	// The timeouts bound what a client can hold: a keep-alive connection
	// left idle is closed after controlIdleTimeout, a request must send
	// its headers within 5 s and its body within controlReadTimeout.
	cs.srv = &http.Server{
		Handler:           cs.auth(limitBody(mux)),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       controlReadTimeout,
		IdleTimeout:       controlIdleTimeout,
	}
	return cs, nil
}

func (cs *controlServer) serve(ctx context.Context) {
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		cs.srv.Shutdown(sctx)
	}()
	if err := cs.srv.Serve(cs.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		cs.d.log.Error("control API stopped", "err", err)
	}
	cs.cleanup()
}

func (cs *controlServer) auth(h http.Handler) http.Handler {
	if cs.secret == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Constant time: a byte-by-byte early exit would let a local
		// process learn the secret one byte at a time from response times.
		got, want := []byte(r.Header.Get("Authorization")), []byte("Bearer "+cs.secret)
		if subtle.ConstantTimeCompare(got, want) != 1 {
			writeError(w, http.StatusUnauthorized, errors.New("missing or wrong control secret"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// maxControlBody bounds request bodies of the control API.
const maxControlBody = 16 << 10

// Control API connection bounds (see listenControl): a client that opens
// keep-alive connections and leaves them idle cannot pile them up.
// Variables so that a test can shorten them.
var (
	controlIdleTimeout = 30 * time.Second
	controlReadTimeout = 10 * time.Second
)

// limitBody caps every request body at maxControlBody: reading past it
// fails with *http.MaxBytesError, which decodeBody answers with 413.
func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
		h.ServeHTTP(w, r)
	})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("request too large: the limit is %d bytes", tooLarge.Limit))
		return false
	}
	if err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, fmt.Errorf("invalid request: %w", err))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func (cs *controlServer) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, cs.d.Status(r.Context()))
}

func (cs *controlServer) setOverride(w http.ResponseWriter, r *http.Request) {
	var req OverrideRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Source == "" {
		req.Source = "cli"
	}
	o, dur, err := ParseOverride(req)
	if err == nil {
		err = cs.d.SetOverride(o, dur)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, cs.d.Status(r.Context()))
}

func (cs *controlServer) clearOverride(w http.ResponseWriter, r *http.Request) {
	cs.d.ClearOverride()
	writeJSON(w, http.StatusOK, cs.d.Status(r.Context()))
}

type pauseRequest struct {
	For string `json:"for,omitempty"`
}

func (cs *controlServer) pause(w http.ResponseWriter, r *http.Request) {
	var req pauseRequest
	if !decodeBody(w, r, &req) {
		return
	}
	dur, err := ParseFor(req.For)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	cs.d.Pause(dur)
	writeJSON(w, http.StatusOK, cs.d.Status(r.Context()))
}

func (cs *controlServer) resume(w http.ResponseWriter, r *http.Request) {
	cs.d.Resume()
	writeJSON(w, http.StatusOK, cs.d.Status(r.Context()))
}

func (cs *controlServer) poll(w http.ResponseWriter, r *http.Request) {
	cs.d.PollNow()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (cs *controlServer) reload(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	writeJSON(w, http.StatusOK, cs.d.Reload(ctx))
}

// Client talks to a running daemon's control API.
type Client struct {
	socket string
}

// NewClient returns a client for the daemon whose control socket (or, on
// Windows, control file) is at path.
func NewClient(path string) *Client { return &Client{socket: path} }

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	hc, base, secret, err := dialControl(c.socket)
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = strings.NewReader(string(b))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return err
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return fmt.Errorf("cannot reach the daemon at %s: permission denied; the socket belongs to another user (for the system service: sudo -u onair onair --system status)", c.socket)
		}
		if isNotRunning(err) {
			return fmt.Errorf("%w (no daemon at %s): start it with `onair run` or `onair service start`", ErrNotRunning, c.socket)
		}
		return fmt.Errorf("control API: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("control API: %s", resp.Status)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func isNotRunning(err error) bool {
	var op *net.OpError
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrNotRunning) || (errors.As(err, &op) && op.Op == "dial")
}

// Status fetches the daemon's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

// SetOverride sets a manual override.
func (c *Client) SetOverride(ctx context.Context, r OverrideRequest) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "/v1/override", r, &st)
	return st, err
}

// ClearOverride removes the manual override.
func (c *Client) ClearOverride(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodDelete, "/v1/override", nil, &st)
	return st, err
}

// Pause turns the signal off for dur ("" until resumed).
func (c *Client) Pause(ctx context.Context, dur string) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "/v1/pause", pauseRequest{For: dur}, &st)
	return st, err
}

// Resume ends a pause.
func (c *Client) Resume(ctx context.Context) (Status, error) {
	var st Status
	err := c.do(ctx, http.MethodPost, "/v1/resume", nil, &st)
	return st, err
}

// Reload asks the daemon to read its config file again; the result says
// whether it took it, and if not, why (errors with file:line).
func (c *Client) Reload(ctx context.Context) (ReloadResult, error) {
	var r ReloadResult
	err := c.do(ctx, http.MethodPost, "/v1/reload", nil, &r)
	return r, err
}

// PollNow asks the daemon to poll at once.
func (c *Client) PollNow(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/poll", nil, nil)
}

func ensureDir(path string) error {
	return os.MkdirAll(filepath.Dir(path), 0o700)
}
