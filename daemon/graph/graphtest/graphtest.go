// Package graphtest is a fake Microsoft Graph presence service for tests: an
// httptest server that serves the presence endpoints onair uses, shaped as
// Graph documents them (reference A.1–A.5), with bearer-token and scope
// checks and fault injection.
//
// It serves, under URL() (the server root plus "/v1.0"):
//
//	GET  /me/presence                          EndpointMe
//	GET  /users/{id}/presence                  EndpointUserPresence
//	GET  /communications/presences/{id}        EndpointPresence
//	POST /communications/getPresencesByUserId  EndpointBatch (at most 650 ids)
//	GET  /users/{id or UPN}                    EndpointUser ($select ignored)
//
// Presence values are stored and returned exactly as given, so tests can use
// PascalCase, camelCase or values Graph never documented. Every change bumps
// the user's sequenceNumber, a zero-padded counter that sorts
// lexicographically as Graph's does.
//
// Wire it up like this:
//
//	srv := graphtest.NewServer(graphtest.Options{})
//	t.Cleanup(srv.Close)
//	alice := graphtest.ID(1)
//	srv.AddUser(alice, "alice@contoso.com", "Alice") // first user is "me"
//	srv.SetPresence(alice, "Busy", "InAMeeting")
//	c, _ := graph.New(graph.Options{BaseURL: srv.URL(), Tokens: tokens})
//
// and, for offices (app-only mode, tokens from AddAppToken or
// Options.AppToken; /me answers 400 to those):
//
//	GET  /groups?$filter=displayName eq '…'    EndpointGroups
//	GET  /groups/{id}/members                  EndpointGroupMembers (pages of 100, $top up to 999)
//	POST /users/{id}/calendar/getSchedule      EndpointSchedule
//	POST /me/calendar/getSchedule              EndpointMeSchedule
//
// It is not a Graph emulator: $select is ignored, paging exists only for
// group members, there are no other resources, and object IDs must be GUIDs
// (see ID). A Server is safe for
// concurrent use and deterministic: the same calls give the same responses,
// apart from the date in error bodies.
package graphtest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Endpoints, as patterns relative to URL(). Requests and Fault.Endpoint take
// them.
const (
	EndpointMe           = "/me/presence"
	EndpointUserPresence = "/users/{id}/presence"
	EndpointPresence     = "/communications/presences/{id}"
	EndpointBatch        = "/communications/getPresencesByUserId"
	EndpointUser         = "/users/{id}"
	// Offices (app-only mode): groups, their members, and calendars.
	EndpointGroups       = "/groups"              // GET ?$filter=displayName eq '…'
	EndpointGroupMembers = "/groups/{id}/members" // GET, paged with @odata.nextLink
	EndpointSchedule     = "/users/{id}/calendar/getSchedule"
	EndpointMeSchedule   = "/me/calendar/getSchedule"
)

// MaxBatch is the most ids getPresencesByUserId accepts; more is a 400
// invalidRequest.
const MaxBatch = 650

// Delegated permissions the fake checks. A token needs:
//
//	EndpointMe                  Presence.Read or Presence.Read.All
//	EndpointUserPresence,
//	EndpointPresence,
//	EndpointBatch               Presence.Read.All
//	EndpointUser                User.ReadBasic.All or User.Read.All
//
// (the ReadWrite variants of each also qualify).
const (
	ScopePresenceRead     = "Presence.Read"
	ScopePresenceReadAll  = "Presence.Read.All"
	ScopeUserReadBasicAll = "User.ReadBasic.All"
	ScopeUserReadAll      = "User.Read.All"
)

// DefaultScopes are granted when no scopes are given: everything onair may
// ask for.
var DefaultScopes = []string{ScopePresenceRead, ScopePresenceReadAll, ScopeUserReadBasicAll}

// version is the path prefix URL() ends with.
const version = "/v1.0"

// jsonType is the Content-Type Graph sends with JSON.
const jsonType = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"

// Options configures a Server.
type Options struct {
	// TLS serves HTTPS with httptest's self-signed certificate; use Client
	// to talk to it.
	TLS bool
	// Authorize, if set, decides whether a bearer token not added with
	// AddToken is valid; accepted tokens get the scopes set with SetScopes
	// (DefaultScopes at first). Use it to accept tokens minted by a fake
	// Entra ID. When Authorize is nil and no token was added, any non-empty
	// bearer token is accepted. It runs with the server's lock held, so it
	// must not call the Server's methods.
	Authorize func(token string) bool
	// AppToken, if set, is asked first about every bearer token: ok means
	// an app-only token (client credentials) carrying the application
	// permissions roles. entratest.Server.AppToken fits. App-only tokens
	// get Graph's 400 on /me endpoints, as there is no signed-in user. It
	// runs with the server's lock held, like Authorize.
	AppToken func(token string) (roles []string, ok bool)
	// OnRequest, if set, is called for every request once its response is
	// decided and before it is written, on the server's goroutine. Keep it
	// short; WaitRequests is usually simpler.
	OnRequest func(Request)
}

// Request records one request the server received.
type Request struct {
	Method string
	// Path is relative to URL() and unescaped, e.g. "/users/x/presence".
	Path string
	// Endpoint is the matched pattern (EndpointMe, …), or "" for a path the
	// fake does not serve.
	Endpoint string
	// Status is the status the server answered with.
	Status int
	// IDs is the number of ids in a batch request body.
	IDs int
	// Fault is the injected fault that shaped the response, or 0.
	Fault FaultKind
}

// FaultKind is a kind of injected failure.
type FaultKind int

// Fault kinds.
const (
	// Throttle answers 429 activityLimitReached with Fault.RetryAfter.
	Throttle FaultKind = iota + 1
	// Unavailable answers 503 serviceNotAvailable with Fault.RetryAfter.
	Unavailable
	// ServerError answers Fault.Status (default 500) generalException.
	ServerError
	// Unauthorized answers 401 InvalidAuthenticationToken whatever the
	// token, as Graph does for a token revoked or expired server-side.
	Unauthorized
	// Malformed answers 200 with a JSON content type and Fault.Body, by
	// default a body that is not JSON.
	Malformed
	// Truncated answers 200 with the real JSON body cut in half (the HTTP
	// framing is intact; the JSON is not).
	Truncated
	// WrongContentType answers 200 with an HTML page (text/html), as a
	// captive portal or proxy would.
	WrongContentType
	// StaleSequence answers 200 with each user's previous presence and its
	// older sequenceNumber (or the current one with a sequenceNumber older
	// than any issued, when there was no previous), as an out-of-order
	// response from another front end would.
	StaleSequence
)

var faultNames = map[FaultKind]string{
	Throttle: "Throttle", Unavailable: "Unavailable", ServerError: "ServerError",
	Unauthorized: "Unauthorized", Malformed: "Malformed", Truncated: "Truncated",
	WrongContentType: "WrongContentType", StaleSequence: "StaleSequence",
}

func (k FaultKind) String() string {
	if s, ok := faultNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is an injected failure; see InjectFault.
type Fault struct {
	Kind FaultKind
	// Endpoint restricts the fault to one endpoint pattern; "" matches any
	// served endpoint.
	Endpoint string
	// RetryAfter is the Retry-After header for Throttle and Unavailable,
	// e.g. "7" or an HTTP date. Empty sends no header.
	RetryAfter string
	// Status is the status for ServerError; 0 means 500.
	Status int
	// Body replaces the body for Malformed; empty means a non-JSON body.
	Body string
}

// ID returns a deterministic object ID (a GUID) for test user n, e.g.
// ID(1) = "00000000-0000-4000-8000-000000000001".
func ID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

// snapshot is a user's presence at one sequence number.
type snapshot struct {
	availability, activity string
	statusMessage          string
	outOfOffice            bool
	seq                    uint64
}

type user struct {
	id, upn, displayName string
	cur                  snapshot
	prev                 *snapshot
}

type pendingFault struct {
	f    Fault
	left int
}

// Server is a fake Graph. Create it with NewServer and Close it when done.
type Server struct {
	srv       *httptest.Server
	onRequest func(Request)

	mu        sync.Mutex
	users     map[string]*user  // by lower-cased id
	upns      map[string]string // lower-cased UPN → lower-cased id
	me        string            // lower-cased id of "me"
	seq       uint64
	tokens    map[string][]string // token → scopes
	scopes    []string            // for tokens accepted by authorize or by default
	authorize func(string) bool
	appToken  func(string) ([]string, bool)
	appTokens map[string][]string // app-only token → roles
	groups    map[string]*group   // by lower-cased id
	calendars map[string][]CalendarItem
	faults    []pendingFault
	counts    map[string]int // by endpoint pattern and by path
	log       []Request
	changed   chan struct{} // closed and replaced on every request
	requestID int
}

// NewServer starts a fake Graph.
func NewServer(opts Options) *Server {
	s := &Server{
		onRequest: opts.OnRequest,
		users:     make(map[string]*user),
		upns:      make(map[string]string),
		tokens:    make(map[string][]string),
		scopes:    slices.Clone(DefaultScopes),
		authorize: opts.Authorize,
		appToken:  opts.AppToken,
		appTokens: make(map[string][]string),
		groups:    make(map[string]*group),
		calendars: make(map[string][]CalendarItem),
		counts:    make(map[string]int),
		changed:   make(chan struct{}),
	}
	h := http.HandlerFunc(s.serve)
	if opts.TLS {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	return s
}

// URL returns the base URL to pass as graph.Options.BaseURL: the server
// root plus "/v1.0".
func (s *Server) URL() string { return s.srv.URL + version }

// Handler returns the fake as an http.Handler, for tests that serve it in
// process: inside a testing/synctest bubble a network listener cannot be
// used, but a RoundTripper that calls Handler can. Requests are served as
// under URL(), so a BaseURL of "http://graph.test/v1.0" works.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

// Client returns an http.Client that trusts the server (needed with TLS).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down and waits for its requests to finish.
func (s *Server) Close() { s.srv.Close() }

// AddUser adds a user with presence Offline/Offline. The first user added is
// "me" until SetMe says otherwise. id must be a GUID (see ID), as Graph's
// object IDs are; AddUser panics on a bad or duplicate id or UPN.
func (s *Server) AddUser(id, upn, displayName string) {
	if !isGUID(id) {
		panic(fmt.Sprintf("graphtest: AddUser: id %q is not a GUID; use graphtest.ID(n)", id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(id)
	if _, ok := s.users[k]; ok {
		panic(fmt.Sprintf("graphtest: AddUser: duplicate id %q", id))
	}
	if upn != "" {
		if _, ok := s.upns[strings.ToLower(upn)]; ok {
			panic(fmt.Sprintf("graphtest: AddUser: duplicate UPN %q", upn))
		}
		s.upns[strings.ToLower(upn)] = k
	}
	s.seq++
	s.users[k] = &user{id: id, upn: upn, displayName: displayName,
		cur: snapshot{availability: "Offline", activity: "Offline", seq: s.seq}}
	if s.me == "" {
		s.me = k
	}
}

// SetMe makes the user with id the one /me refers to.
func (s *Server) SetMe(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked("SetMe", id)
	s.me = strings.ToLower(id)
}

// SetPresence sets a user's availability and activity, verbatim (an empty
// activity is sent as null), and bumps the sequence number.
func (s *Server) SetPresence(id, availability, activity string) {
	s.update("SetPresence", id, func(p *snapshot) { p.availability, p.activity = availability, activity })
}

// SetStatusMessage sets a user's status message; "" clears it (sent as a
// null statusMessage).
func (s *Server) SetStatusMessage(id, message string) {
	s.update("SetStatusMessage", id, func(p *snapshot) { p.statusMessage = message })
}

// SetOutOfOffice sets whether a user's out-of-office window is active.
func (s *Server) SetOutOfOffice(id string, on bool) {
	s.update("SetOutOfOffice", id, func(p *snapshot) { p.outOfOffice = on })
}

// Sequence returns a user's current sequenceNumber.
func (s *Server) Sequence(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return seqString(s.userLocked("Sequence", id).cur.seq)
}

func (s *Server) update(op, id string, f func(*snapshot)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(op, id)
	prev := u.cur
	u.prev = &prev
	f(&u.cur)
	s.seq++
	u.cur.seq = s.seq
}

// userLocked returns the user with id or panics: an unknown id in a test's
// setup is a bug in the test.
func (s *Server) userLocked(op, id string) *user {
	u, ok := s.users[strings.ToLower(id)]
	if !ok {
		panic(fmt.Sprintf("graphtest: %s: unknown user %q", op, id))
	}
	return u
}

// AddToken makes token valid with the given scopes (DefaultScopes if none).
// Once a token is added, only added tokens (and those Authorize accepts) are
// valid.
func (s *Server) AddToken(token string, scopes ...string) {
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = slices.Clone(scopes)
}

// RevokeToken makes an added token invalid again.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// SetScopes sets the scopes granted to tokens accepted by Options.Authorize
// or, when no token was added, to any token. No scopes grants none, so
// every endpoint answers 403.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
}

// InjectFault makes the next n requests to f.Endpoint (any endpoint if
// empty) fail as f says. Requests to paths the fake does not serve, and
// requests without a valid token, neither match nor consume faults. Faults
// are consumed in the order they were injected.
func (s *Server) InjectFault(n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, pendingFault{f: f, left: n})
}

// Requests returns how many requests the server received for an endpoint
// pattern (EndpointBatch, …) or an exact path relative to URL()
// ("/users/x/presence"), whatever their outcome.
func (s *Server) Requests(endpointOrPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[endpointOrPath]
}

// Log returns every request received so far, in order.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// ResetRequests clears the request counters and log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
	s.log = nil
}

// WaitRequests blocks until Requests(endpointOrPath) is at least n or ctx is
// done. Use it to wait for a daemon's poll without sleeping.
func (s *Server) WaitRequests(ctx context.Context, endpointOrPath string, n int) error {
	for {
		s.mu.Lock()
		got, ch := s.counts[endpointOrPath], s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("graphtest: waiting for %d requests to %s, got %d: %w", n, endpointOrPath, got, ctx.Err())
		}
	}
}

// reply is a decided response.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path, endpoint, ids := s.route(r)
	var body []byte
	if r.Body != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
		body = buf.Bytes()
	}

	s.mu.Lock()
	s.requestID++
	rid := fmt.Sprintf("00000000-0000-0000-0000-%012d", s.requestID)
	var rep reply
	var fault FaultKind
	switch token, ok := s.bearer(r); {
	case endpoint == "":
		rep = graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Resource not found for the segment '%s'.", lastSegment(path)), rid)
	case !ok:
		rep = s.unauthorized(token, rid)
	default:
		scopes, app, valid := s.scopesLocked(token)
		if !valid {
			rep = s.unauthorized(token, rid)
			break
		}
		f, hasFault := s.popFaultLocked(endpoint)
		if hasFault && f.Kind <= Unauthorized {
			rep, fault = statusFault(f, rid), f.Kind
			break
		}
		stale := hasFault && f.Kind == StaleSequence
		if app && (endpoint == EndpointMe || endpoint == EndpointMeSchedule) {
			// Graph's answer to an app-only token on /me (documented on
			// Microsoft Q&A, e.g. learn.microsoft.com/answers/questions/573381).
			rep = graphError(http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.", rid)
			break
		}
		rep = s.handleLocked(r, endpoint, ids, body, scopes, stale, rid)
		if hasFault && rep.status == http.StatusOK {
			// A body fault is used up even when the request failed for
			// another reason, but only recorded when it shaped the reply.
			rep, fault = bodyFault(f, rep), f.Kind
		}
	}
	rep.header.Set("request-id", rid)
	rep.header.Set("client-request-id", cmp.Or(r.Header.Get("client-request-id"), rid))

	req := Request{Method: r.Method, Path: path, Endpoint: endpoint, Status: rep.status, Fault: fault}
	if endpoint == EndpointBatch {
		req.IDs = countIDs(body)
	}
	if endpoint != "" {
		s.counts[endpoint]++
	}
	if path != endpoint {
		s.counts[path]++
	}
	s.log = append(s.log, req)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	if s.onRequest != nil {
		s.onRequest(req)
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// route maps a request to its path relative to the version prefix, the
// endpoint pattern it matches ("" if none) and the user id or UPN in it.
func (s *Server) route(r *http.Request) (path, endpoint, id string) {
	raw := r.URL.EscapedPath()
	if !strings.HasPrefix(raw, version+"/") {
		p, _ := url.PathUnescape(raw)
		return p, "", ""
	}
	raw = raw[len(version):]
	segs := strings.Split(strings.Trim(raw, "/"), "/")
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	path = "/" + strings.Join(segs, "/")
	switch {
	case len(segs) == 2 && segs[0] == "me" && segs[1] == "presence":
		return path, EndpointMe, ""
	case len(segs) == 3 && segs[0] == "users" && segs[2] == "presence":
		return path, EndpointUserPresence, segs[1]
	case len(segs) == 3 && segs[0] == "communications" && segs[1] == "presences":
		return path, EndpointPresence, segs[2]
	case len(segs) == 2 && segs[0] == "communications" && segs[1] == "getPresencesByUserId":
		return path, EndpointBatch, ""
	case len(segs) == 2 && segs[0] == "users" && segs[1] != "":
		return path, EndpointUser, segs[1]
	case len(segs) == 1 && segs[0] == "groups":
		return path, EndpointGroups, ""
	case len(segs) == 3 && segs[0] == "groups" && segs[2] == "members":
		return path, EndpointGroupMembers, segs[1]
	case len(segs) == 4 && segs[0] == "users" && segs[2] == "calendar" && segs[3] == "getSchedule":
		return path, EndpointSchedule, segs[1]
	case len(segs) == 3 && segs[0] == "me" && segs[1] == "calendar" && segs[2] == "getSchedule":
		return path, EndpointMeSchedule, ""
	}
	return path, "", ""
}

// bearer returns the bearer token and whether the header was well formed.
func (s *Server) bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// scopesLocked returns the scopes of a valid token.
// app reports an app-only token, whose scopes are its roles.
func (s *Server) scopesLocked(token string) (scopes []string, app, valid bool) {
	if roles, ok := s.appTokens[token]; ok {
		return roles, true, true
	}
	if s.appToken != nil {
		if roles, ok := s.appToken(token); ok {
			return roles, true, true
		}
	}
	if sc, ok := s.tokens[token]; ok {
		return sc, false, true
	}
	if s.authorize != nil {
		if s.authorize(token) {
			return s.scopes, false, true
		}
		return nil, false, false
	}
	if len(s.tokens) == 0 && len(s.appTokens) == 0 {
		return s.scopes, false, true
	}
	return nil, false, false
}

// AddAppToken makes token a valid app-only (client credentials) token with
// the given application permissions. /me endpoints refuse it.
func (s *Server) AddAppToken(token string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appTokens[token] = slices.Clone(roles)
}

// unauthorized is Graph's 401 with its WWW-Authenticate challenge
// (reference A.5).
func (s *Server) unauthorized(token, rid string) reply {
	msg := "Access token validation failure. Invalid audience."
	if token == "" {
		msg = "Access token is empty."
	}
	rep := graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", msg, rid)
	rep.header.Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
	return rep
}

func (s *Server) popFaultLocked(endpoint string) (Fault, bool) {
	for i := range s.faults {
		pf := &s.faults[i]
		if pf.f.Endpoint != "" && pf.f.Endpoint != endpoint {
			continue
		}
		f := pf.f
		pf.left--
		if pf.left == 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return f, true
	}
	return Fault{}, false
}

func statusFault(f Fault, rid string) reply {
	var rep reply
	switch f.Kind {
	case Throttle:
		rep = graphErrorInner(http.StatusTooManyRequests, "activityLimitReached", "The request has been throttled.", "throttledRequest", rid)
	case Unavailable:
		rep = graphError(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.", rid)
	case ServerError:
		rep = graphError(cmp.Or(f.Status, http.StatusInternalServerError), "generalException", "An unspecified error has occurred.", rid)
	default: // Unauthorized
		rep = graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", rid)
		rep.header.Set("WWW-Authenticate", `Bearer realm="", error="invalid_token", error_description="The access token has expired"`)
	}
	if f.RetryAfter != "" && (f.Kind == Throttle || f.Kind == Unavailable) {
		rep.header.Set("Retry-After", f.RetryAfter)
	}
	return rep
}

func bodyFault(f Fault, rep reply) reply {
	switch f.Kind {
	case Malformed:
		rep.body = []byte(cmp.Or(f.Body, "this is not JSON"))
	case Truncated:
		rep.body = rep.body[:len(rep.body)/2]
	case WrongContentType:
		rep.header.Set("Content-Type", "text/html; charset=utf-8")
		rep.body = []byte("<!DOCTYPE html><html><head><title>Sign in to the network</title></head><body>Proxy authentication required.</body></html>")
	}
	return rep
}

// handleLocked serves a request that passed the token check.
func (s *Server) handleLocked(r *http.Request, endpoint, id string, body []byte, scopes []string, stale bool, rid string) reply {
	method := r.Method
	want := http.MethodGet
	if endpoint == EndpointBatch || endpoint == EndpointSchedule || endpoint == EndpointMeSchedule {
		want = http.MethodPost
	}
	if method != want {
		return graphError(http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.", rid)
	}
	if !hasScope(scopes, endpoint) {
		return graphError(http.StatusForbidden, "Forbidden", "Insufficient privileges to complete the operation.", rid)
	}
	switch endpoint {
	case EndpointGroups:
		return s.groupsLocked(r, rid)
	case EndpointGroupMembers:
		return s.membersLocked(r, id, rid)
	case EndpointSchedule, EndpointMeSchedule:
		if endpoint == EndpointSchedule {
			k := strings.ToLower(id)
			if uid, ok := s.upns[k]; ok {
				k = uid
			}
			if _, ok := s.users[k]; !ok {
				// The mailbox in the path must exist, whatever the body asks.
				return graphError(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.", rid)
			}
		}
		return s.scheduleLocked(r, body, rid)
	case EndpointMe:
		u, ok := s.users[s.me]
		if !ok {
			return graphError(http.StatusNotFound, "itemNotFound", "The signed-in user has no presence.", rid)
		}
		return jsonReply(s.presenceJSON(u, true, stale, s.srv.URL+version+"/$metadata#users('"+u.id+"')/presence/$entity"))
	case EndpointUserPresence, EndpointPresence:
		u, ok := s.users[strings.ToLower(id)]
		if !ok {
			return graphError(http.StatusNotFound, "itemNotFound", fmt.Sprintf("Presence for user '%s' was not found.", id), rid)
		}
		return jsonReply(s.presenceJSON(u, strings.ToLower(id) == s.me, stale, s.srv.URL+version+"/$metadata#communications/presences/$entity"))
	case EndpointBatch:
		var req struct {
			IDs []string `json:"ids"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.IDs == nil {
			return graphError(http.StatusBadRequest, "invalidRequest", "Invalid request body: want {\"ids\":[...]}.", rid)
		}
		if len(req.IDs) == 0 {
			return graphError(http.StatusBadRequest, "invalidRequest", "The ids collection must not be empty.", rid)
		}
		if len(req.IDs) > MaxBatch {
			return graphError(http.StatusBadRequest, "invalidRequest", fmt.Sprintf("The number of ids must not exceed %d; got %d.", MaxBatch, len(req.IDs)), rid)
		}
		for _, id := range req.IDs {
			if !isGUID(id) {
				return graphError(http.StatusBadRequest, "invalidRequest", fmt.Sprintf("Invalid user id '%s': not an object ID.", id), rid)
			}
		}
		value := make([]map[string]any, 0, len(req.IDs))
		done := make(map[string]bool, len(req.IDs))
		for _, id := range req.IDs {
			k := strings.ToLower(id)
			u, ok := s.users[k]
			if !ok || done[k] {
				// Unknown ids are left out of the collection.
				continue
			}
			done[k] = true
			value = append(value, s.presenceJSON(u, false, stale, ""))
		}
		return jsonReply(map[string]any{
			"@odata.context": s.srv.URL + version + "/$metadata#Collection(microsoft.graph.presence)",
			"value":          value,
		})
	default: // EndpointUser
		k := strings.ToLower(id)
		if uid, ok := s.upns[k]; ok {
			k = uid
		}
		u, ok := s.users[k]
		if !ok {
			return graphError(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id), rid)
		}
		return jsonReply(map[string]any{
			"@odata.context":    s.srv.URL + version + "/$metadata#users(id,userPrincipalName,displayName)/$entity",
			"id":                u.id,
			"userPrincipalName": u.upn,
			"displayName":       u.displayName,
		})
	}
}

// presenceJSON renders a presence resource (reference A.2). self adds the
// statusMessage dates Graph returns only for the signed-in user.
func (s *Server) presenceJSON(u *user, self, stale bool, context string) map[string]any {
	p := u.cur
	if stale {
		if u.prev != nil {
			p = *u.prev
		} else {
			p.seq = 0
		}
	}
	m := map[string]any{
		"id":             u.id,
		"availability":   p.availability,
		"activity":       nilIfEmpty(p.activity),
		"statusMessage":  nil,
		"sequenceNumber": seqString(p.seq),
		"outOfOfficeSettings": map[string]any{
			"message":       nil,
			"isOutOfOffice": p.outOfOffice,
		},
	}
	if context != "" {
		m["@odata.context"] = context
	}
	if p.statusMessage != "" {
		sm := map[string]any{
			"message": map[string]any{"content": p.statusMessage, "contentType": "text"},
		}
		if self {
			sm["expiryDateTime"] = map[string]any{"dateTime": "9999-12-30T23:00:00.0000000", "timeZone": "UTC"}
			sm["publishedDateTime"] = "2024-01-01T09:00:00.0000000Z"
		}
		m["statusMessage"] = sm
	}
	return m
}

func jsonReply(v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps of strings, bools and nil are marshalled here.
		panic("graphtest: " + err.Error())
	}
	return reply{status: http.StatusOK, header: http.Header{"Content-Type": {jsonType}}, body: b}
}

// graphError is Graph's error JSON (reference A.5).
func graphError(status int, code, message, rid string) reply {
	return graphErrorInner(status, code, message, "", rid)
}

func graphErrorInner(status int, code, message, innerCode, rid string) reply {
	inner := map[string]any{
		"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
		"request-id":        rid,
		"client-request-id": rid,
	}
	if innerCode != "" {
		inner["code"] = innerCode
	}
	rep := jsonReply(map[string]any{"error": map[string]any{
		"code": code, "message": message, "innerError": inner,
	}})
	rep.status = status
	return rep
}

// hasScope reports whether scopes allow endpoint; see the Scope constants.
func hasScope(scopes []string, endpoint string) bool {
	var ok []string
	switch endpoint {
	case EndpointMe:
		ok = []string{"Presence.Read", "Presence.Read.All", "Presence.ReadWrite", "Presence.ReadWrite.All"}
	case EndpointUser:
		ok = []string{"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}
	case EndpointGroups, EndpointGroupMembers:
		ok = []string{"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All"}
	case EndpointSchedule, EndpointMeSchedule:
		ok = []string{"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"}
	default:
		ok = []string{"Presence.Read.All", "Presence.ReadWrite.All"}
	}
	for _, sc := range scopes {
		for _, o := range ok {
			if strings.EqualFold(sc, o) {
				return true
			}
		}
	}
	return false
}

func countIDs(body []byte) int {
	var req struct {
		IDs []json.RawMessage `json:"ids"`
	}
	_ = json.Unmarshal(body, &req)
	return len(req.IDs)
}

// seqString formats a sequence number so that string order is numeric
// order.
func seqString(n uint64) string { return fmt.Sprintf("%020d", n) }

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isGUID(s string) bool {
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
