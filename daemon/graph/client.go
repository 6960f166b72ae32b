package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/mapping"
)

// TokenSource returns a bearer token for Microsoft Graph with the scopes the
// requests need. daemon/auth implements it. Errors are wrapped with %w, so
// callers can match the token source's own sentinels (for example a "login
// required" error) with errors.Is.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Defaults for Options.
const (
	// DefaultBaseURL is the global Graph v1.0 endpoint. National clouds use
	// their own host, e.g. https://graph.microsoft.us/v1.0.
	DefaultBaseURL = "https://graph.microsoft.com/v1.0"
	// MaxBatchSize is Graph's limit on ids per getPresencesByUserId request
	// (reference A.1).
	MaxBatchSize = 650
	// DefaultTimeout bounds one HTTP request, including reading the body.
	DefaultTimeout = 20 * time.Second
)

// maxBody bounds a response body. A 650-user batch with long status
// messages is well under 1 MiB.
const maxBody = 8 << 20

// Options configures a Client. Only Tokens is required.
type Options struct {
	// BaseURL is the Graph root including the version, without a trailing
	// slash. Default DefaultBaseURL. Point it at a national cloud or at
	// graphtest.Server.URL().
	BaseURL string
	// Tokens supplies bearer tokens. Required.
	Tokens TokenSource
	// HTTPClient sends the requests. Default: a new http.Client using
	// http.DefaultTransport. Its own Timeout, if any, also applies.
	HTTPClient *http.Client
	// Logger receives debug lines per request and a warning the first time
	// an unknown availability or activity, or a user missing from a batch,
	// is seen. Default: discard.
	Logger *slog.Logger
	// BatchSize is the number of ids per getPresencesByUserId request,
	// 1 to MaxBatchSize. Default MaxBatchSize.
	BatchSize int
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
	// AppOnly says Tokens hands out app-only (client credentials) tokens.
	// There is no signed-in user then, so Me and the /me endpoints fail
	// with ErrAppOnly without a request, and GetSchedule asks through a
	// watched user's mailbox instead of /me.
	AppOnly bool
	// UnknownUserTTL is how long LookupUser and ResolveUser remember that
	// a user does not exist (Graph answered 404) before asking again, so
	// that a typo'd UPN or a leaver costs one request per TTL, not one per
	// poll. Default DefaultUnknownUserTTL; negative turns the memory off.
	UnknownUserTTL time.Duration
	// Now is the clock for UnknownUserTTL. Default time.Now.
	Now func() time.Time
}

// DefaultUnknownUserTTL is Options.UnknownUserTTL's default.
const DefaultUnknownUserTTL = time.Hour

// Client reads presence from Microsoft Graph. It is safe for concurrent use.
type Client struct {
	base    string
	tokens  TokenSource
	hc      *http.Client
	log     *slog.Logger
	batch   int
	timeout time.Duration
	appOnly bool
	unkTTL  time.Duration
	now     func() time.Time

	mu      sync.Mutex
	anchor  string              // mailbox the last app-only getSchedule went through
	users   map[string]*lookup  // user lookups by lower-cased id or UPN
	unknown map[string]struct{} // unknown values already logged
	missing map[string]struct{} // batch ids already logged as missing
	// lastUsers is the last Users call's request, with the last answer to
	// each of its batches (usersRequest).
	lastUsers *usersRequest
}

// bodySeed seeds the hashes of batch answers. They tell
// whether bytes changed, nothing more: hash/maphash is six times faster
// than SHA-256 here, and far more on CPUs without SHA instructions (a
// Raspberry Pi); two different answers collide with odds of 2⁻⁶⁴.
var bodySeed = maphash.MakeSeed()

// bodyBuffers hold presence batch answers while they are hashed and
// decoded (nothing keeps a reference to the body afterwards): a poll of
// 10,000 users reads about 1.5 MB, every poll.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// batchAnswer is one presence batch's last answer: the hash of the
// response body and the presences collect made of it (Time aside); ps is
// nil until the batch has been answered.
type batchAnswer struct {
	body uint64
	ps   []mapping.Presence
}

// lookup is one user lookup, shared by concurrent callers; done is closed
// when info and err are set.
type lookup struct {
	done chan struct{}
	info UserInfo
	err  error
	// until is when a remembered "not found" expires; zero for a found user.
	until time.Time
}

// maxUnknownLogged bounds the set of unknown values remembered for "log
// once", so a misbehaving server cannot grow it without limit.
const maxUnknownLogged = 64

// New returns a Client. It validates opts and has no side effects.
func New(opts Options) (*Client, error) {
	if opts.Tokens == nil {
		return nil, errors.New("graph: Options.Tokens is required")
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimRight(base, "/")
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("graph: invalid BaseURL %q: %w", opts.BaseURL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("graph: invalid BaseURL %q: want http(s)://host/version", opts.BaseURL)
	}
	batch := opts.BatchSize
	switch {
	case batch == 0:
		batch = MaxBatchSize
	case batch < 0 || batch > MaxBatchSize:
		return nil, fmt.Errorf("graph: invalid BatchSize %d: want 1 to %d", batch, MaxBatchSize)
	}
	timeout := opts.Timeout
	switch {
	case timeout == 0:
		timeout = DefaultTimeout
	case timeout < 0:
		return nil, fmt.Errorf("graph: invalid Timeout %s: must be positive", timeout)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ttl := opts.UnknownUserTTL
	if ttl == 0 {
		ttl = DefaultUnknownUserTTL
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Client{
		appOnly: opts.AppOnly,
		unkTTL:  ttl,
		now:     now,
		base:    base,
		tokens:  opts.Tokens,
		hc:      hc,
		log:     log,
		batch:   batch,
		timeout: timeout,
		users:   make(map[string]*lookup),
		unknown: make(map[string]struct{}),
		missing: make(map[string]struct{}),
	}, nil
}

// Me returns the signed-in user's presence (GET /me/presence, permission
// Presence.Read). The Presence's User is "me".
func (c *Client) Me(ctx context.Context) (mapping.Presence, error) {
	const op = "get presence of me"
	if c.appOnly {
		return mapping.Presence{}, fmt.Errorf("graph: %s: %w", op, ErrAppOnly)
	}
	resp, err := c.do(ctx, request{
		op: op, method: http.MethodGet, path: "/me/presence",
		permission: PermissionPresenceRead, user: "me",
	})
	if err != nil {
		return mapping.Presence{}, err
	}
	w, err := decodePresence(op, resp.body, resp.token)
	if err != nil {
		return mapping.Presence{}, err
	}
	return c.presence(&w, "me", resp.time), nil
}

// User returns one user's presence by object ID (GET /users/{id}/presence,
// permission Presence.Read.All). Graph takes object IDs only here; resolve a
// UPN with ResolveUser first. The Presence's User is id.
func (c *Client) User(ctx context.Context, id string) (mapping.Presence, error) {
	op := "get presence of " + id
	if !isObjectID(id) {
		return mapping.Presence{}, fmt.Errorf("graph: %s: %q is not an object ID (resolve UPNs with ResolveUser)", op, id)
	}
	resp, err := c.do(ctx, request{
		op: op, method: http.MethodGet, path: "/users/" + url.PathEscape(id) + "/presence",
		permission: PermissionPresenceReadAll, user: id,
	})
	if err != nil {
		return mapping.Presence{}, err
	}
	w, err := decodePresence(op, resp.body, resp.token)
	if err != nil {
		return mapping.Presence{}, err
	}
	if w.ID != "" && !strings.EqualFold(w.ID, id) {
		return mapping.Presence{}, malformed(op, fmt.Sprintf("presence of id %q, not the one asked for", w.ID), resp.body, resp.token)
	}
	return c.presence(&w, id, resp.time), nil
}

// Users returns the presence of many users by object ID with
// POST /communications/getPresencesByUserId (permission Presence.Read.All),
// in requests of at most Options.BatchSize ids, one after the other.
//
// The result has one Presence per distinct id (compared case-insensitively),
// in the order of ids, with User set to the id as given. Graph may leave a
// user out (an unknown or deleted id); such ids are missing from the result
// and logged once, so the caller sees them as not refreshed. A response
// naming an id that was not asked for, or one id twice, is ErrMalformed.
//
// If a later batch fails, Users returns the presences of the batches that
// succeeded together with the error; they are as fresh as any other.
func (c *Client) Users(ctx context.Context, ids []string) ([]mapping.Presence, error) {
	return c.AppendUsers(ctx, nil, ids)
}

// AppendUsers is Users appending to dst: a caller that polls the same
// users over and over hands back its last answer, dst[:0], and a poll in
// which nobody changed allocates nothing for them (10,000 presences are
// about 1.1 MB). On an error it returns dst with what did come back.
func (c *Client) AppendUsers(ctx context.Context, dst []mapping.Presence, ids []string) ([]mapping.Presence, error) {
	const op = "get presences by user id"
	pl, err := c.usersPlan(op, ids)
	if err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, len(pl.uniq))
	for i := range pl.bodies {
		dst, err = c.usersBatch(ctx, op, pl, i, dst)
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// usersRequest is what Users sends for one list of ids: the distinct ids
// and each batch's request body. The last one is kept and reused while the
// same ids are asked for (every poll, usually), so a poll costs no
// deduplication and no request encoding; it also holds each batch's last
// answer. A poll in which nobody changed gets byte-identical answers (a
// presence's sequenceNumber only moves when it changes), which then cost
// a hash, not a JSON decode.
type usersRequest struct {
	ids     []string // as given
	uniq    []string
	bodies  [][]byte
	answers []batchAnswer // by batch; guarded by Client.mu
}

// usersPlan returns the request for ids: the last one when ids are the
// same, otherwise a new one (which becomes the last).
func (c *Client) usersPlan(op string, ids []string) (*usersRequest, error) {
	c.mu.Lock()
	last := c.lastUsers
	c.mu.Unlock()
	if last != nil && slices.Equal(last.ids, ids) {
		return last, nil
	}
	pl := &usersRequest{ids: slices.Clone(ids), uniq: make([]string, 0, len(ids))}
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if !isObjectID(id) {
			return nil, fmt.Errorf("graph: %s: %q is not an object ID (resolve UPNs with ResolveUser)", op, id)
		}
		k := strings.ToLower(id)
		if _, ok := seen[k]; ok {
			continue
		}
		seen[k] = struct{}{}
		pl.uniq = append(pl.uniq, id)
	}
	for start := 0; start < len(pl.uniq); start += c.batch {
		body, err := json.Marshal(struct {
			IDs []string `json:"ids"`
		}{pl.uniq[start:min(start+c.batch, len(pl.uniq))]})
		if err != nil {
			return nil, fmt.Errorf("graph: %s: encode request: %w", op, err)
		}
		pl.bodies = append(pl.bodies, body)
	}
	pl.answers = make([]batchAnswer, len(pl.bodies))
	c.mu.Lock()
	c.lastUsers = pl
	c.mu.Unlock()
	return pl, nil
}

// usersBatch fetches batch i of pl and appends its presences to dst in
// batch order. An answer byte-identical to the batch's last one is not
// decoded again: its presences are the same, observed now.
func (c *Client) usersBatch(ctx context.Context, op string, pl *usersRequest, i int, dst []mapping.Presence) ([]mapping.Presence, error) {
	ids := pl.uniq[i*c.batch : min((i+1)*c.batch, len(pl.uniq))]
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer bodyBuffers.Put(buf)
	resp, err := c.do(ctx, request{
		op: op, method: http.MethodPost, path: "/communications/getPresencesByUserId", body: pl.bodies[i],
		permission: PermissionPresenceReadAll, buf: buf,
	})
	if err != nil {
		return dst, err
	}
	sum := maphash.Bytes(bodySeed, resp.body)
	c.mu.Lock()
	last := pl.answers[i]
	c.mu.Unlock()
	if last.ps != nil && last.body == sum {
		for _, p := range last.ps {
			p.Time = resp.time
			dst = append(dst, p)
		}
		return dst, nil
	}
	ws, err := decodeBatch(op, resp.body, resp.token)
	if err != nil {
		return dst, err
	}
	ps, err := c.collect(op, ids, ws, resp)
	if err != nil {
		return dst, err
	}
	c.mu.Lock()
	pl.answers[i] = batchAnswer{body: sum, ps: ps}
	c.mu.Unlock()
	return append(dst, ps...), nil
}

// collect keys a decoded batch back to the requested ids, in their order.
func (c *Client) collect(op string, ids []string, ws []wirePresence, resp response) ([]mapping.Presence, error) {
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[strings.ToLower(id)] = i
	}
	slots := make([]*wirePresence, len(ids))
	for i := range ws {
		w := &ws[i]
		j, ok := index[strings.ToLower(w.ID)]
		if !ok {
			return nil, malformed(op, fmt.Sprintf("value[%d] is id %q, which was not asked for", i, w.ID), resp.body, resp.token)
		}
		if slots[j] != nil {
			return nil, malformed(op, fmt.Sprintf("value[%d] repeats id %q", i, w.ID), resp.body, resp.token)
		}
		slots[j] = w
	}
	out := make([]mapping.Presence, 0, len(ids))
	for j, w := range slots {
		if w == nil {
			c.noteMissing(ids[j])
			continue
		}
		c.noteFound(ids[j])
		out = append(out, c.presence(w, ids[j], resp.time))
	}
	return out, nil
}

// UserInfo is a user as Graph names them.
type UserInfo struct {
	// ID is the object ID (a GUID).
	ID                string
	UserPrincipalName string
	// DisplayName is for labels and Home Assistant device names.
	DisplayName string
}

// ResolveUser returns the object ID for a UPN or object ID. An object ID is
// returned unchanged without a request. A UPN is looked up once with
// GET /users/{upn}?$select=id,userPrincipalName,displayName (permission
// User.ReadBasic.All) and the answer is cached for the Client's lifetime.
// A user Graph does not know (*NotFoundError) is remembered for
// Options.UnknownUserTTL: until NotFoundError.Until the same error comes
// back without a request. Other failures are not cached.
func (c *Client) ResolveUser(ctx context.Context, upnOrID string) (string, error) {
	if isObjectID(upnOrID) {
		return upnOrID, nil
	}
	info, err := c.LookupUser(ctx, upnOrID)
	return info.ID, err
}

// LookupUser returns a user's object ID, UPN and display name, from the cache
// or with one GET /users/{upnOrID}?$select=id,userPrincipalName,displayName
// (permission User.ReadBasic.All). Unlike ResolveUser it makes a request for
// an object ID too, once. Concurrent calls for the same user share one
// request.
func (c *Client) LookupUser(ctx context.Context, upnOrID string) (UserInfo, error) {
	op := "look up user " + upnOrID
	if strings.TrimSpace(upnOrID) == "" || strings.ContainsAny(upnOrID, "/?") {
		return UserInfo{}, fmt.Errorf("graph: look up user: invalid UPN or id %q", upnOrID)
	}
	key := strings.ToLower(upnOrID)
	c.mu.Lock()
	l, ok := c.users[key]
	if !ok {
		l = &lookup{done: make(chan struct{})}
		c.users[key] = l
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-l.done:
			if !l.until.IsZero() {
				if c.now().Before(l.until) {
					return UserInfo{}, l.err // remembered: not found
				}
				c.mu.Lock()
				if c.users[key] == l {
					delete(c.users, key)
				}
				c.mu.Unlock()
				return c.LookupUser(ctx, upnOrID)
			}
			// A failed lookup is forgotten, so the next call tries again;
			// callers that shared it get its error rather than piling on,
			// unless it failed only because its own caller gave up.
			if callerGaveUp(l.err) && ctx.Err() == nil {
				return c.LookupUser(ctx, upnOrID)
			}
			return l.info, l.err
		case <-ctx.Done():
			return UserInfo{}, fmt.Errorf("graph: %s: %w", op, ctx.Err())
		}
	}
	l.info, l.err = c.lookupUser(ctx, op, upnOrID)
	var nf *NotFoundError
	if errors.As(l.err, &nf) && c.unkTTL > 0 {
		// Remembered, so that an unknown user costs one request per TTL.
		l.until = c.now().Add(c.unkTTL)
		nf.Until = l.until
	} else if l.err != nil {
		c.mu.Lock()
		delete(c.users, key)
		c.mu.Unlock()
	}
	close(l.done)
	return l.info, l.err
}

// ForgetUser drops what LookupUser remembers about upnOrID, found or not,
// so the next lookup asks Graph (e.g. after a config reload that fixed a
// typo, or when an admin says a new hire now exists).
func (c *Client) ForgetUser(upnOrID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.users, strings.ToLower(upnOrID))
}

// callerGaveUp reports whether err is a caller's context ending rather than
// a failure of Graph or of the network (those are *TransientError).
func callerGaveUp(err error) bool {
	return (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && !errors.Is(err, ErrTransient)
}

func (c *Client) lookupUser(ctx context.Context, op, upnOrID string) (UserInfo, error) {
	resp, err := c.do(ctx, request{
		op: op, method: http.MethodGet, path: "/users/" + url.PathEscape(upnOrID),
		query:      "$select=id,userPrincipalName,displayName",
		permission: PermissionUserReadBasic, user: upnOrID,
	})
	if err != nil {
		return UserInfo{}, err
	}
	u, err := decodeUser(op, resp.body, resp.token)
	if err != nil {
		return UserInfo{}, err
	}
	if !isObjectID(u.ID) {
		return UserInfo{}, malformed(op, fmt.Sprintf("id %q is not an object ID", u.ID), resp.body, resp.token)
	}
	return UserInfo(u), nil
}

// presence converts a decoded presence, logging unknown values once.
func (c *Client) presence(w *wirePresence, user string, now time.Time) mapping.Presence {
	a, ok := mapping.ParseAvailability(w.Availability)
	if !ok {
		c.noteUnknown("availability", string(a), user)
	}
	var act mapping.Activity
	if w.Activity != "" {
		act, ok = mapping.ParseActivity(w.Activity)
		if !ok {
			c.noteUnknown("activity", string(act), user)
		}
	}
	return mapping.Presence{
		User:          user,
		Availability:  a,
		Activity:      act,
		StatusMessage: w.statusMessage(),
		OutOfOffice:   w.outOfOffice(),
		Sequence:      w.SequenceNumber,
		Time:          now,
	}
}

func (c *Client) noteUnknown(kind, value, user string) {
	key := kind + "\x00" + value
	c.mu.Lock()
	_, seen := c.unknown[key]
	if !seen && len(c.unknown) < maxUnknownLogged {
		c.unknown[key] = struct{}{}
	} else {
		seen = true
	}
	c.mu.Unlock()
	if !seen {
		c.log.Warn("unknown presence value; treated as unknown by the default rules",
			"kind", kind, "value", value, "user", user)
	}
}

func (c *Client) noteMissing(id string) {
	key := strings.ToLower(id)
	c.mu.Lock()
	_, seen := c.missing[key]
	c.missing[key] = struct{}{}
	c.mu.Unlock()
	if !seen {
		c.log.Warn("user missing from presence batch; check the object ID", "user", id)
	}
}

func (c *Client) noteFound(id string) {
	c.mu.Lock()
	if len(c.missing) > 0 {
		delete(c.missing, strings.ToLower(id))
	}
	c.mu.Unlock()
}

// request is one Graph call.
type request struct {
	op     string
	method string
	path   string // relative to the base URL, already escaped
	query  string // raw query, without "?"
	// url, when set, is the absolute URL to use instead of path and query
	// (an @odata.nextLink); it must be on the base URL's host.
	url    string
	header http.Header // extra request headers
	body   []byte
	// buf, when set, receives the response body, which is then only valid
	// until buf is reused; nil reads it into a new slice.
	buf *bytes.Buffer
	// permission is the least-privileged permission the call needs, named
	// in a *ForbiddenError.
	permission string
	// user is the id, UPN or "me" a 404 refers to; empty when a 404 is not
	// about a user.
	user string
}

// response is a 2xx response. token is kept only to redact it from errors.
type response struct {
	body  []byte
	time  time.Time
	token string
}

// do sends r and returns the body of a 2xx JSON response, or the error the
// status maps to.
func (c *Client) do(ctx context.Context, r request) (response, error) {
	token, err := c.tokens.Token(ctx)
	if err != nil {
		// daemon/auth's errors already say "auth: get token: …"; saying it
		// again reads "get token: auth: get token:" in status and logs.
		if strings.Contains(err.Error(), "get token") {
			return response{}, fmt.Errorf("graph: %s: %w", r.op, err)
		}
		return response{}, fmt.Errorf("graph: %s: get token: %w", r.op, err)
	}
	if token == "" {
		return response{}, fmt.Errorf("%w: %s: token source returned an empty token", ErrUnauthorized, r.op)
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	u := c.base + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	if r.url != "" {
		u = r.url
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(rctx, r.method, u, body)
	if err != nil {
		return response{}, fmt.Errorf("graph: %s: %w", r.op, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.header {
		req.Header[k] = v
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up; not Graph's fault.
			return response{}, fmt.Errorf("graph: %s: %w", r.op, ctx.Err())
		}
		return response{}, &TransientError{Err: fmt.Errorf("%s: %w", r.op, err)}
	}
	defer resp.Body.Close()
	var data []byte
	if r.buf != nil {
		r.buf.Reset()
		_, err = r.buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
		data = r.buf.Bytes()
	} else {
		data, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	}
	now := time.Now()
	c.log.Debug("graph request", "method", r.method, "path", r.path, "status", resp.StatusCode,
		"bytes", len(data), "duration", now.Sub(start))
	if err != nil {
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("graph: %s: read body: %w", r.op, ctx.Err())
		}
		return response{}, &TransientError{Status: 0, Err: fmt.Errorf("%s: read body: %w", r.op, err)}
	}
	if len(data) > maxBody {
		return response{}, malformed(r.op, fmt.Sprintf("body larger than %d bytes", maxBody), data, token)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
			return response{}, malformed(r.op, fmt.Sprintf("content type %q, want application/json", ct), data, token)
		}
		return response{body: data, time: now, token: token}, nil
	}
	return response{}, c.statusError(r, resp, data, token, now)
}

// statusError maps a non-2xx response to this package's errors.
func (c *Client) statusError(r request, resp *http.Response, body []byte, token string, now time.Time) error {
	ae := &APIError{Op: r.op, Status: resp.StatusCode}
	decodeError(ae, body, token)
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		return &sentinelError{sentinel: ErrUnauthorized, api: ae}
	case s == http.StatusForbidden:
		return &ForbiddenError{Permission: r.permission, Remedy: c.remedy(r.permission), Err: ae}
	case s == http.StatusNotFound && r.user != "":
		return &NotFoundError{User: r.user, Err: ae}
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		capped, requested := parseRetryAfter(resp.Header.Get("Retry-After"), now)
		return &ThrottledError{RetryAfter: capped, Requested: requested, Status: s, Err: ae}
	case s >= 500:
		return &TransientError{Status: s, Err: ae}
	}
	return ae
}

// remedy is the sentence a *ForbiddenError gives the user.
func (c *Client) remedy(permission string) string {
	if c.appOnly {
		return "add the Microsoft Graph application permission " + permission +
			" to the app registration and have an administrator grant admin consent; `onair login` checks it"
	}
	return "add the delegated Microsoft Graph permission " + permission +
		" to the app registration (an administrator may have to grant consent), then sign in again so the token carries it"
}

// isObjectID reports whether s looks like an Entra object ID: a GUID in its
// 8-4-4-4-12 hex form.
func isObjectID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
