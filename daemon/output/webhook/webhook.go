// Package webhook calls an HTTP endpoint when a watched user's signal
// changes: a Philips Hue light, a Slack status, a home-automation hook. Each
// configured webhook is one output with a templated URL and body.
//
// It is not a queue: it keeps only the latest state per user while a
// request is in flight or waiting to be retried, and never has more than one
// request of a webhook in flight. The top-level README.md (Webhooks)
// documents the template fields and has examples to paste.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/onair-dev/onair/daemon/mdns"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// Defaults for the fields of Options left empty.
const (
	DefaultMethod     = http.MethodPost
	DefaultTimeout    = 10 * time.Second
	DefaultRetries    = 5
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultBody sends every field as one JSON object.
	DefaultBody = "{{json .}}"
	// maxRetryAfter caps a server's Retry-After, so a typo on its side
	// cannot silence the webhook for days.
	maxRetryAfter = time.Hour
)

// Options configures one webhook (an entry of the `webhooks:` list).
type Options struct {
	// Name names the webhook in status and logs. Required, unique.
	Name string `yaml:"name"`
	// Method is the HTTP method. Default POST.
	Method string `yaml:"method"`
	// URL is a Go text/template over Fields, http or https; usually a
	// plain URL. Required.
	URL string `yaml:"url"`
	// Headers are sent with every request. A value is a string, or
	// {env: NAME} / {file: PATH} (read at start, trimmed) with an optional
	// prefix ("Bearer "). Values never appear in logs or status.
	// Content-Type defaults to application/json.
	Headers map[string]Value `yaml:"headers"`
	// Users are the keys of the users it follows ("me", a UPN). Default
	// all watched users.
	Users []string `yaml:"users"`
	// Body is a Go text/template over Fields. Default {{json .}}, every
	// field as JSON.
	Body string `yaml:"body"`
	// Timeout bounds each attempt ("10s"). Default 10s.
	Timeout string `yaml:"timeout"`
	// Retries is how often a request that failed with a network error, 429
	// or 5xx is retried. Default 5; 0 turns retries off. Other 4xx are
	// never retried: sending the same request again cannot fix them.
	Retries *int `yaml:"retries"`
	// Backoff is the delay before the first retry, doubled for each next
	// one up to MaxBackoff, with jitter. Defaults 1s and 5m.
	Backoff    string `yaml:"backoff"`
	MaxBackoff string `yaml:"max_backoff"`

	// Logger receives the webhook's logs. Default: discard.
	Logger *slog.Logger `yaml:"-" json:"-"`
	// Client sends the requests. Default: a client with Timeout.
	Client *http.Client `yaml:"-" json:"-"`
}

// Value is a header value: literal, or read from an environment variable or
// a file so a secret stays out of the config. It logs and prints as
// REDACTED.
type Value struct {
	Value  string `yaml:"value"`
	Env    string `yaml:"env"`
	File   string `yaml:"file"`
	Prefix string `yaml:"prefix"`
}

// UnmarshalYAML accepts a plain string as well as {env: …}. It uses the
// func form of the YAML unmarshaler so this package needs no YAML library.
func (v *Value) UnmarshalYAML(unmarshal func(any) error) error {
	var s string
	if err := unmarshal(&s); err == nil {
		*v = Value{Value: s}
		return nil
	}
	// A distinct type without this method, so unmarshal does not recurse;
	// its name shows in YAML's "field x not found" errors.
	type headerValue Value
	return unmarshal((*headerValue)(v))
}

// LogValue implements slog.LogValuer: header values are secrets.
func (Value) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String keeps the value out of fmt output too.
func (Value) String() string { return "REDACTED" }

// GoString keeps the value out of %#v.
func (Value) GoString() string { return "REDACTED" }

func (v Value) resolve() (string, error) {
	n := 0
	for _, s := range []string{v.Value, v.Env, v.File} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return "", errors.New("set only one of value, env, file")
	}
	switch {
	case v.Env != "":
		s, ok := os.LookupEnv(v.Env)
		if !ok || strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("environment variable %s is not set or empty: set it where the daemon runs", v.Env)
		}
		return v.Prefix + strings.TrimSpace(s), nil
	case v.File != "":
		b, err := os.ReadFile(v.File)
		if err != nil {
			return "", err
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", fmt.Errorf("%s is empty: write the value into it", v.File)
		}
		return v.Prefix + s, nil
	}
	return v.Prefix + v.Value, nil
}

var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// settings is Options checked and resolved.
type settings struct {
	method              string
	url, body           *template.Template
	headers             http.Header
	users               map[string]bool
	timeout             time.Duration
	retries             int
	backoff, maxBackoff time.Duration
}

// Validate reports every problem with o, each saying what to change. It
// reads header values from their files and environment variables, so a
// missing secret shows up in `onair config check`.
func (o *Options) Validate() error {
	_, err := o.settings()
	return err
}

func (o *Options) settings() (*settings, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	s := &settings{method: strings.ToUpper(o.Method), headers: http.Header{}}
	if strings.TrimSpace(o.Name) == "" {
		bad("name: required: it names the webhook in status and logs (for example hue-office)")
	}
	if s.method == "" {
		s.method = DefaultMethod
	}
	if !slices.Contains(methods, s.method) {
		bad("method: %q is not one of %s", o.Method, strings.Join(methods, ", "))
	}
	if o.URL == "" {
		bad("url: required (for example http://192.168.1.2/api/<username>/lights/1/state)")
	} else if t, err := template.New("url").Funcs(funcs).Parse(o.URL); err != nil {
		bad("url: %v", err)
	} else {
		s.url = t
		var b strings.Builder
		if err := t.Execute(&b, sample); err != nil {
			bad("url: %v", err)
		} else if u, err := url.Parse(b.String()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("url: %q is not an http:// or https:// URL with a host", redact(b.String()))
		}
	}
	body := o.Body
	if body == "" {
		body = DefaultBody
	}
	if t, err := template.New("body").Funcs(funcs).Option("missingkey=error").Parse(body); err != nil {
		bad("body: %v", err)
	} else if err := t.Execute(io.Discard, sample); err != nil {
		bad("body: %v (the README's Webhooks section lists the fields)", err)
	} else {
		s.body = t
	}
	keys := make([]string, 0, len(o.Headers))
	for k := range o.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !headerName.MatchString(k) {
			bad("headers: %q is not a valid header name", k)
			continue
		}
		v, err := o.Headers[k].resolve()
		if err != nil {
			bad("headers.%s: %v", k, err)
			continue
		}
		if strings.ContainsAny(v, "\r\n") {
			bad("headers.%s: the value contains a line break", k)
			continue
		}
		s.headers.Set(k, v)
	}
	if s.headers.Get("Content-Type") == "" {
		s.headers.Set("Content-Type", "application/json")
	}
	if len(o.Users) > 0 {
		s.users = map[string]bool{}
		for i, u := range o.Users {
			if strings.TrimSpace(u) == "" {
				bad("users[%d]: empty: use a watched user's key (me, or the UPN from graph.users)", i)
			} else if s.users[u] {
				bad("users[%d]: %q is listed twice", i, u)
			}
			s.users[u] = true
		}
	}
	dur := func(field, v string, def time.Duration, dst *time.Duration) {
		*dst = def
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("%s: %q is not a positive duration (examples: 500ms, 10s, 5m)", field, v)
			return
		}
		*dst = d
	}
	dur("timeout", o.Timeout, DefaultTimeout, &s.timeout)
	dur("backoff", o.Backoff, DefaultBackoff, &s.backoff)
	dur("max_backoff", o.MaxBackoff, DefaultMaxBackoff, &s.maxBackoff)
	if s.maxBackoff < s.backoff {
		bad("max_backoff: %s is shorter than backoff %s", s.maxBackoff, s.backoff)
	}
	s.retries = DefaultRetries
	if o.Retries != nil {
		s.retries = *o.Retries
		if s.retries < 0 || s.retries > 100 {
			bad("retries: %d: use 0 (no retries) to 100", s.retries)
		}
	}
	return s, errors.Join(errs...)
}

// Fields are what the URL and body templates see: one user's signal after
// a change. The JSON names are the default body's keys.
type Fields struct {
	// Webhook is the webhook's name.
	Webhook string `json:"webhook"`
	// User is the user's key ("me" or the UPN); Name the display name.
	User string `json:"user"`
	Name string `json:"name"`
	// Availability and Activity are what Teams says (Busy, InAMeeting).
	Availability string `json:"availability"`
	Activity     string `json:"activity"`
	// Color is the signal colour as #rrggbb, Hex the same without #.
	Color string `json:"color"`
	Hex   string `json:"-"`
	// Brightness is 0–100 percent.
	Brightness int `json:"brightness"`
	// Effect is solid, blink, pulse, off or keep.
	Effect string `json:"effect"`
	// On reports whether the signal shows light at all.
	On bool `json:"on"`
	// Label is the door-sign text ("In a meeting").
	Label string `json:"label"`
	// StatusMessage is the Teams status message (untrusted text).
	StatusMessage string `json:"status_message,omitempty"`
	OutOfOffice   bool   `json:"out_of_office,omitempty"`
	// State is ok, stale, login-required, off-hours or error.
	State string `json:"state"`
	// Stale reports whether the signal is not current (stale, error, login
	// required); Online whether Teams shows the user as signed in.
	Stale  bool `json:"stale"`
	Online bool `json:"online"`
	// Paused reports whether the daemon's signal is paused.
	Paused bool `json:"paused,omitempty"`
	// Since is when the signal last changed; Until the end of the current
	// calendar busy block and NextBusy the start of the next one (zero
	// when unknown).
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`
	NextBusy time.Time `json:"next_busy,omitzero"`
}

func fieldsOf(name string, s *output.Snapshot, u output.UserView) Fields {
	av := u.Presence.Availability
	label := u.Signal.Label
	if label == "" {
		label = string(av)
	}
	return Fields{
		Webhook: name, User: u.Key, Name: u.Name,
		Availability: string(av), Activity: string(u.Presence.Activity),
		Color: u.Signal.Color.String(), Hex: strings.TrimPrefix(u.Signal.Color.String(), "#"),
		Brightness: u.Signal.Brightness, Effect: string(u.Signal.Effect), On: !u.Signal.Dark(),
		Label: label, StatusMessage: u.Presence.StatusMessage, OutOfOffice: u.Presence.OutOfOffice,
		State:  u.State.String(),
		Stale:  u.State == mapping.StateStale || u.State == mapping.StateError || u.State == mapping.StateLoginRequired,
		Online: av != "" && !av.Is(mapping.Availability("Offline")) && !av.Is(mapping.Availability("PresenceUnknown")),
		Paused: s.Paused, Since: u.Since, Until: u.BusyUntil, NextBusy: u.NextBusy,
	}
}

// sample is what Validate renders the templates with.
var sample = Fields{
	Webhook: "sample", User: "me", Name: "Sample", Availability: "Busy", Activity: "InAMeeting",
	Color: "#ff0000", Hex: "ff0000", Brightness: 100, Effect: "solid", On: true, Label: "In a meeting",
	State: "ok", Online: true, Since: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC),
}

// funcs are the template helpers the README documents.
var funcs = template.FuncMap{
	// json encodes any value as JSON: strings get quotes and escapes, so
	// a status message cannot break the body.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	// xy converts a #rrggbb colour to CIE 1931 xy for Philips Hue.
	"xy": XY,
	// scale maps a 0–100 percent onto 0–max (Hue bri: scale .Brightness 254),
	// never 0 for a percent above 0.
	"scale": func(percent, top int) int {
		if percent <= 0 {
			return 0
		}
		return min(top, max(1, int(math.Round(float64(percent)*float64(top)/100))))
	},
	// unix is a time as Unix seconds, 0 for an unknown time.
	"unix": func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.Unix()
	},
	// rfc3339 is a time as 2026-01-01T09:00:00Z, "" for an unknown time.
	"rfc3339": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
}

// XY converts a colour (#rrggbb) to CIE 1931 xy chromaticity, rounded to
// four decimals: sRGB gamma expanded, then the sRGB (D65) to XYZ matrix of
// IEC 61966-2-1, as the Philips Hue developer documentation's "RGB to xy"
// conversion does. Hue lamps clamp xy into their own gamut. Black, which has
// no chromaticity, gives the D65 white point.
func XY(hex string) ([2]float64, error) {
	c, err := mapping.ParseColor(hex)
	if err != nil {
		return [2]float64{}, err
	}
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f > 0.04045 {
			return math.Pow((f+0.055)/1.055, 2.4)
		}
		return f / 12.92
	}
	r, g, b := lin(c.R), lin(c.G), lin(c.B)
	x := r*0.4124 + g*0.3576 + b*0.1805
	y := r*0.2126 + g*0.7152 + b*0.0722
	z := r*0.0193 + g*0.1192 + b*0.9505
	sum := x + y + z
	if sum == 0 {
		return [2]float64{0.3127, 0.329}, nil
	}
	round := func(f float64) float64 { return math.Round(f*10000) / 10000 }
	return [2]float64{round(x / sum), round(y / sum)}, nil
}

// redact shortens a URL to scheme://host/…: paths and queries carry secrets
// (a Hue bridge's username is part of the path).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

// Webhook is one configured webhook. It implements output.Output.
type Webhook struct {
	name   string
	set    *settings
	log    *slog.Logger
	client *http.Client

	mu sync.Mutex
	st status
}

type status struct {
	state    string // idle, ok, retrying, failing
	lastOK   time.Time
	lastErr  string
	failures int
	signal   string
	waiting  int
}

var _ output.Output = (*Webhook)(nil)

// New checks o and returns the webhook. It sends nothing until Run.
func New(o Options) (*Webhook, error) {
	s, err := o.settings()
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", o.Name, err)
	}
	w := &Webhook{name: o.Name, set: s, log: o.Logger, client: o.Client, st: status{state: "idle"}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("webhook", o.Name)
	if w.client == nil {
		// http.DefaultTransport's settings, with a dialer that finds .local
		// hosts by multicast DNS when the system resolver does not.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&mdns.Dialer{Dialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}).DialContext
		w.client = &http.Client{Transport: t}
	}
	return w, nil
}

// Name implements output.Output.
func (w *Webhook) Name() string { return "webhook " + w.name }

// Status implements output.Output.
func (w *Webhook) Status() []output.Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := output.Status{Name: "webhook " + w.name, Kind: "webhook", State: w.st.state, Signal: w.st.signal}
	var d []string
	if !w.st.lastOK.IsZero() {
		d = append(d, "last delivered "+w.st.lastOK.Format(time.DateTime))
	}
	if w.st.lastErr != "" {
		d = append(d, "last error: "+w.st.lastErr)
	}
	if w.st.failures > 0 {
		d = append(d, fmt.Sprintf("%d failed attempts in a row", w.st.failures))
	}
	if w.st.waiting > 0 {
		d = append(d, fmt.Sprintf("%d users waiting", w.st.waiting))
	}
	st.Detail = strings.Join(d, "; ")
	return []output.Status{st}
}

func (w *Webhook) follows(key string) bool { return w.set.users == nil || w.set.users[key] }

// job is the delivery under way: the latest Fields of one user and how many
// attempts it has had.
type job struct {
	f       Fields
	attempt int
}

// result is the outcome of one attempt.
type result struct {
	code       int
	retryAfter time.Duration
	err        error
	retry      bool
}

// Run implements output.Output: it sends a request for every change of a
// followed user's signal until ctx is done. One request is in flight at a
// time; while it is, or while a retry waits, only each user's latest state
// is kept, so a flapping presence cannot pile up requests.
func (w *Webhook) Run(ctx context.Context, mb *output.Mailbox) error {
	var (
		prev     *output.Snapshot
		last     = map[string]Fields{} // last state queued per user
		pending  = map[string]Fields{}
		queue    []string // users with a pending state, oldest first
		cur      *job
		inflight bool
		done     = make(chan result, 1)
		timer    *time.Timer
		timerC   <-chan time.Time
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	take := func(key string) (Fields, bool) {
		f, ok := pending[key]
		if ok {
			delete(pending, key)
			queue = slices.DeleteFunc(queue, func(k string) bool { return k == key })
		}
		return f, ok
	}
	for {
		if cur == nil && len(queue) > 0 {
			f, _ := take(queue[0])
			cur = &job{f: f}
		}
		if cur != nil && !inflight && timerC == nil {
			inflight = true
			cur.attempt++
			f := cur.f
			go func() { done <- w.send(ctx, f) }()
		}
		w.mu.Lock()
		w.st.waiting = len(pending)
		w.mu.Unlock()

		select {
		case <-ctx.Done():
			if inflight {
				<-done // send uses ctx: it returns promptly
			}
			return nil
		case s := <-mb.C():
			for _, i := range output.Changed(prev, s) {
				u := s.Users[i]
				if !w.follows(u.Key) {
					continue
				}
				f := fieldsOf(w.name, s, u)
				if old, ok := last[u.Key]; ok && old == f && !s.Resend {
					continue // a field no template sees changed
				}
				last[u.Key] = f
				if _, ok := pending[u.Key]; !ok {
					queue = append(queue, u.Key)
				}
				pending[u.Key] = f
			}
			prev = s
		case r := <-done:
			inflight = false
			if delay, again := w.settle(cur, r); again {
				timer = time.NewTimer(delay)
				timerC = timer.C
			} else {
				cur = nil
			}
		case <-timerC:
			timer, timerC = nil, nil
			// A newer state of the same user replaces the one being
			// retried: sending the old one would only be undone.
			if f, ok := take(cur.f.User); ok {
				cur = &job{f: f}
			}
		}
	}
}

// settle records the outcome of an attempt and says whether to retry, and
// after how long.
func (w *Webhook) settle(j *job, r result) (time.Duration, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.err == nil {
		if w.st.state != "ok" && w.st.failures > 0 {
			w.log.Info("webhook delivered again", "user", j.f.User, "status", r.code, "failed_attempts", w.st.failures)
		}
		w.st.state, w.st.lastOK, w.st.failures = "ok", time.Now(), 0
		w.st.signal = fmt.Sprintf("%s %s %d%% %s", j.f.User, j.f.Color, j.f.Brightness, j.f.Effect)
		w.log.Debug("webhook delivered", "user", j.f.User, "status", r.code)
		return 0, false
	}
	w.st.failures++
	w.st.lastErr = r.err.Error()
	if r.retry && j.attempt <= w.set.retries {
		d := backoff(w.set.backoff, w.set.maxBackoff, j.attempt)
		if r.retryAfter > d {
			d = min(r.retryAfter, maxRetryAfter)
		}
		if w.st.state != "retrying" {
			w.log.Warn("webhook failed, retrying", "user", j.f.User, "err", r.err, "attempt", j.attempt, "retry_in", d.Round(time.Millisecond).String())
		}
		w.st.state = "retrying"
		w.st.lastErr = fmt.Sprintf("%s (attempt %d of %d, next in %s)", r.err, j.attempt, w.set.retries+1, d.Round(time.Millisecond))
		return d, true
	}
	w.st.state = "failing"
	w.log.Warn("webhook failed, giving up on this change", "user", j.f.User, "err", r.err, "attempts", j.attempt)
	return 0, false
}

// backoff is the delay before retry n (1-based): base·2^(n-1) capped at max,
// with "equal jitter" (half fixed, half random) so webhooks that failed
// together do not retry in lockstep.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	return half + rand.N(d-half+1)
}

// send makes one attempt.
func (w *Webhook) send(ctx context.Context, f Fields) result {
	var u, b bytes.Buffer
	if err := w.set.url.Execute(&u, f); err != nil {
		return result{err: fmt.Errorf("url template: %w", err)}
	}
	if err := w.set.body.Execute(&b, f); err != nil {
		return result{err: fmt.Errorf("body template: %w", err)}
	}
	where := w.set.method + " " + redact(u.String())
	actx, cancel := context.WithTimeout(ctx, w.set.timeout)
	defer cancel()
	var body io.Reader
	if b.Len() > 0 && w.set.method != http.MethodGet {
		body = &b
	}
	req, err := http.NewRequestWithContext(actx, w.set.method, u.String(), body)
	if err != nil {
		return result{err: fmt.Errorf("%s: %v", where, stripURL(err))}
	}
	req.Header = w.set.headers.Clone()
	// Header names only: their values are secrets as often as not.
	w.log.Debug("webhook request", "user", f.User, "request", where, "headers", slices.Sorted(maps.Keys(req.Header)))
	resp, err := w.client.Do(req)
	if err != nil {
		// A network error: worth retrying unless we are stopping.
		return result{err: fmt.Errorf("%s: %v", where, stripURL(err)), retry: ctx.Err() == nil}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 300 {
		return result{code: resp.StatusCode}
	}
	msg := strings.Join(strings.Fields(string(snippet)), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	err = fmt.Errorf("%s: %s", where, resp.Status)
	if msg != "" {
		err = fmt.Errorf("%s: %s: %s", where, resp.Status, msg)
	}
	r := result{code: resp.StatusCode, err: err}
	// 429 and 5xx say "later"; any other 4xx says the request is wrong,
	// and the same request will be wrong again.
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		r.retry = true
		r.retryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return r
}

// stripURL drops the URL the HTTP client puts in its errors: it may hold
// secrets, and the caller names the redacted one.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date
// (RFC 9110 section 10.2.3). Zero when absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
