package graph

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinels for the conditions callers branch on. Typed errors below match
// them with errors.Is.
var (
	// ErrUnauthorized means Graph rejected the token (HTTP 401). The token
	// source should be asked for a fresh token; if that fails too, the user
	// has to sign in again.
	ErrUnauthorized = errors.New("graph: unauthorized")
	// ErrForbidden means the token lacks a permission (HTTP 403). Matched by
	// *ForbiddenError.
	ErrForbidden = errors.New("graph: forbidden")
	// ErrUserNotFound means Graph does not know the user (HTTP 404).
	// Matched by *NotFoundError.
	ErrUserNotFound = errors.New("graph: user not found")
	// ErrThrottled means Graph asked us to slow down (HTTP 429 or 503).
	// Matched by *ThrottledError.
	ErrThrottled = errors.New("graph: throttled")
	// ErrTransient means a server error or network failure that a later
	// retry may not meet. Matched by *TransientError.
	ErrTransient = errors.New("graph: transient failure")
	// ErrMalformed means a response body was not the documented shape:
	// not JSON, truncated, the wrong content type, a missing availability,
	// a value of the wrong type, or a batch naming ids that were not asked
	// for. The caller should keep its last good state.
	ErrMalformed = errors.New("graph: malformed response")
	// ErrAppOnly means an operation about the signed-in user (/me) was
	// asked of a Client with app-only tokens, which have no user; Graph
	// would answer 400 "/me request is only valid with delegated
	// authentication flow". Watch users by UPN or object ID instead.
	ErrAppOnly = errors.New("graph: app-only mode has no signed-in user (/me); name the users to watch")
	// ErrGroupNotFound means no group has the ID or display name asked
	// for. Matched by *GroupNotFoundError.
	ErrGroupNotFound = errors.New("graph: group not found")
)

// Permissions (delegated scopes) the client's requests need, named in
// *ForbiddenError.
const (
	PermissionPresenceRead    = "Presence.Read"
	PermissionPresenceReadAll = "Presence.Read.All"
	PermissionUserReadBasic   = "User.ReadBasic.All"
	PermissionGroupMember     = "GroupMember.Read.All"
	PermissionCalendars       = "Calendars.ReadBasic"
)

// APIError is a non-2xx Graph response: the status and the error JSON
// {"error":{"code","message","innerError":{...}}}. Branch on Code, never on
// Message. The typed errors in this package wrap it, so errors.As finds it
// behind any of them.
type APIError struct {
	// Op names the operation, e.g. "get presence of me".
	Op     string
	Status int
	// Code is error.code, e.g. "InvalidAuthenticationToken". Empty when
	// the body was not Graph's error JSON.
	Code string
	// InnerCode is the most specific nested innerError.code, if any
	// (e.g. "throttledRequest").
	InnerCode string
	Message   string
	// RequestID is innerError.request-id, for Microsoft support.
	RequestID string
}

func (e *APIError) Error() string { return "graph: " + e.detail() }

// detail is Error without the package prefix, for wrapping errors.
func (e *APIError) detail() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(strconv.Itoa(e.Status))
	b.WriteByte(' ')
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		b.WriteString(http.StatusText(e.Status))
	}
	if e.InnerCode != "" {
		b.WriteString(" (")
		b.WriteString(e.InnerCode)
		b.WriteByte(')')
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" [request-id ")
		b.WriteString(e.RequestID)
		b.WriteByte(']')
	}
	return b.String()
}

// ForbiddenError is an HTTP 403: the token lacks the permission the
// operation needs, or Conditional Access blocked it.
type ForbiddenError struct {
	// Permission is the least-privileged delegated permission the
	// operation needs, e.g. "Presence.Read.All".
	Permission string
	// Remedy is one sentence telling the user what to do.
	Remedy string
	Err    *APIError
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("graph: forbidden: %s; missing permission %s: %s", e.Err.detail(), e.Permission, e.Remedy)
}

// Is reports whether target is ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// Unwrap returns the underlying *APIError.
func (e *ForbiddenError) Unwrap() error { return e.Err }

// NotFoundError is an HTTP 404 for a user: an unknown object ID or UPN, or a
// user without presence (e.g. no Teams licence).
type NotFoundError struct {
	// User is the id or UPN that was asked for ("me" for /me).
	User string
	Err  *APIError
	// Until is set when the Client remembers the answer (a user lookup;
	// see Options.UnknownUserTTL): lookups before it return this error
	// without asking Graph. The same *NotFoundError value is returned
	// each time, so a caller can compare errors to warn once.
	Until time.Time
}

func (e *NotFoundError) Error() string {
	if !e.Until.IsZero() {
		return fmt.Sprintf("graph: user %q not found: %s (not asked again before %s)", e.User, e.Err.detail(), e.Until.Format(time.TimeOnly))
	}
	return fmt.Sprintf("graph: user %q not found: %s", e.User, e.Err.detail())
}

// Is reports whether target is ErrUserNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrUserNotFound }

// Unwrap returns the underlying *APIError.
func (e *NotFoundError) Unwrap() error { return e.Err }

// GroupNotFoundError is a group that no ID or display name matched, or a
// display name that several groups share.
type GroupNotFoundError struct {
	// Group is the ID or display name asked for.
	Group string
	// Matches is how many groups have that display name: 0, or more than 1
	// (ambiguous; use the object ID).
	Matches int
	Err     *APIError // the 404 for an ID; nil for a display name
}

func (e *GroupNotFoundError) Error() string {
	switch {
	case e.Matches > 1:
		return fmt.Sprintf("graph: %d groups are named %q; use the group's object ID in graph.groups", e.Matches, e.Group)
	case e.Err != nil:
		return fmt.Sprintf("graph: group %q not found: %s", e.Group, e.Err.detail())
	}
	return fmt.Sprintf("graph: no group is named %q; check graph.groups (display names are matched exactly, ignoring case)", e.Group)
}

// Is reports whether target is ErrGroupNotFound.
func (e *GroupNotFoundError) Is(target error) bool { return target == ErrGroupNotFound }

// ThrottledError is an HTTP 429 or 503. RetryAfter is Graph's Retry-After
// header (seconds or an HTTP date) capped at one hour, or 0 when the header
// was absent or unusable, in which case the caller uses its own backoff.
type ThrottledError struct {
	RetryAfter time.Duration
	// Requested is the Retry-After Graph asked for, before the cap; log it
	// when it differs from RetryAfter.
	Requested time.Duration
	// Status is 429 or 503.
	Status int
	Err    *APIError
}

func (e *ThrottledError) Error() string {
	if e.Requested > e.RetryAfter {
		return fmt.Sprintf("graph: throttled: %s; retry after %s (Graph asked for %s, capped)", e.Err.detail(), e.RetryAfter, e.Requested)
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("graph: throttled: %s; retry after %s", e.Err.detail(), e.RetryAfter)
	}
	return fmt.Sprintf("graph: throttled: %s; no Retry-After", e.Err.detail())
}

// Is reports whether target is ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Unwrap returns the underlying *APIError.
func (e *ThrottledError) Unwrap() error { return e.Err }

// TransientError is a server error other than 503 (500, 502, 504, …) or a
// network failure (connection refused, reset, request timeout). Retry with
// backoff.
type TransientError struct {
	// Status is the HTTP status, or 0 for a network failure.
	Status int
	// Err is the *APIError for a server error, or the network error.
	Err error
}

func (e *TransientError) Error() string {
	if ae, ok := e.Err.(*APIError); ok {
		return "graph: transient failure: " + ae.detail()
	}
	return "graph: transient failure: " + e.Err.Error()
}

// Is reports whether target is ErrTransient.
func (e *TransientError) Is(target error) bool { return target == ErrTransient }

// Unwrap returns the underlying error.
func (e *TransientError) Unwrap() error { return e.Err }

// sentinelError is an API error that matches a sentinel but carries no
// further data of its own (a 401 is ErrUnauthorized plus the *APIError).
type sentinelError struct {
	sentinel error
	api      *APIError
}

func (e *sentinelError) Error() string { return e.sentinel.Error() + ": " + e.api.detail() }

func (e *sentinelError) Unwrap() []error { return []error{e.sentinel, e.api} }

// maxRetryAfter caps the Retry-After a caller is told to wait. Observed
// values go up to a few minutes (Graph's throttling guidance,
// https://learn.microsoft.com/graph/throttling); a larger one is a garbage
// header or an outage, and parking a door sign for a day on it would be worse
// than asking again in an hour. The uncapped value stays on the error for
// logging (ThrottledError.Requested).
const maxRetryAfter = time.Hour

// maxRequested bounds the uncapped value only so that it cannot overflow
// time.Duration.
const maxRequested = 100 * 365 * 24 * time.Hour

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3): delay
// seconds or an HTTP date, relative to now. It returns the delay capped at
// maxRetryAfter, and as requested. Both are 0 when the header is absent,
// unparseable or in the past.
func parseRetryAfter(v string, now time.Time) (capped, requested time.Duration) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, 0
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		requested = maxRequested
		if n < uint64(maxRequested/time.Second) {
			requested = time.Duration(n) * time.Second
		}
		return min(requested, maxRetryAfter), requested
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0, 0
	}
	return min(d, maxRetryAfter), d
}

// snippetLen is how much of a bad body goes into an error.
const snippetLen = 160

// snippet returns the start of body for an error message: valid UTF-8,
// whitespace runs collapsed to one space (pretty-printed JSON says more per
// byte that way), other unprintable runes as U+FFFD, at most snippetLen bytes, with the token redacted in case
// the server echoed it.
func snippet(body []byte, token string) string {
	// Redact the whole body before cutting, so that no part of a token can
	// survive the cut.
	s := redact(string(body), token)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if b.Len()+utf8.RuneLen(r) > snippetLen {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = utf8.RuneError // also what an invalid byte decodes to
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "(empty)"
	}
	return b.String()
}

// redact replaces the bearer token in s. Server-provided text (error
// messages, bodies) goes through it before it reaches an error.
func redact(s, token string) string {
	if token == "" || !strings.Contains(s, token) {
		return s
	}
	return strings.ReplaceAll(s, token, "REDACTED")
}
