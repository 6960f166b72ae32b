package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// ErrLoginRequired reports that no usable sign-in exists: the token cache has
// no account, or Entra ID refused to refresh it (expired or revoked refresh
// token, multi-factor or consent needed). Only a new interactive sign-in
// (`onair login`) fixes it, so the daemon shows the login-required signal
// instead of retrying. Errors from Token that match it keep Entra's reason in
// their message.
var ErrLoginRequired = errors.New("login required")

// ErrNoClientID reports that Options.ClientID is empty. Its message tells the
// user how to get one.
var ErrNoClientID = errors.New("no client ID configured: register an app in the " +
	"Microsoft Entra admin center (App registrations → New registration), set " +
	`"Allow public client flows" to Yes, add the delegated Microsoft Graph ` +
	"permission Presence.Read (and Presence.Read.All + User.ReadBasic.All to " +
	"watch colleagues), then copy the Application (client) ID into " +
	"graph.client_id in the config")

// ErrUnavailable reports a transient failure to reach Entra ID: a network
// error, a timeout, HTTP 429 or a 5xx answer. The caller retries with backoff;
// the sign-in itself is still good.
var ErrUnavailable = errors.New("entra id unavailable")

// ErrCacheUnreadable reports a token cache file that exists but cannot be read
// or parsed. Errors matching it are *CacheError values whose message names the
// file and the remedy.
var ErrCacheUnreadable = errors.New("token cache unreadable")

// ErrCacheUnwritable reports a token cache file that cannot be written: a
// read-only or full file system, or a directory onair may not write. It is a
// local storage fault, not an Entra ID one: tokens keep flowing from memory
// and the write is retried, but a restart would lose the refreshed sign-in.
// Errors matching it are *CacheWriteError values.
var ErrCacheUnwritable = errors.New("token cache unwritable")

// CacheWriteError is a token cache file that could not be written. It
// matches ErrCacheUnwritable; Client.CacheWriteError returns it while the
// newest tokens live in memory only.
type CacheWriteError struct {
	Path string // the cache file
	Err  error  // the write failure, e.g. ENOSPC or EROFS
}

func (e *CacheWriteError) Error() string {
	return fmt.Sprintf("auth: token cache %s cannot be written: %v; %s", e.Path, e.Err, e.Remedy())
}

// Remedy is the one sentence telling the user what to do.
func (e *CacheWriteError) Remedy() string {
	dir := filepath.Dir(e.Path)
	switch {
	case errors.Is(e.Err, syscall.ENOSPC) || errors.Is(e.Err, syscall.EDQUOT):
		return "free disk space on the file system holding " + dir + " (tokens are kept in memory and the write is retried every minute)"
	case errors.Is(e.Err, syscall.EROFS):
		return dir + " is on a read-only file system: remount it read-write or point the state directory elsewhere (tokens are kept in memory and the write is retried every minute)"
	}
	return "check free space and that onair's user may write " + dir + " and " + e.Path + " (tokens are kept in memory and the write is retried every minute)"
}

func (e *CacheWriteError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCacheUnwritable.
func (e *CacheWriteError) Is(target error) bool { return target == ErrCacheUnwritable }

// CacheError is a token cache file that cannot be read or parsed. It matches
// ErrCacheUnreadable. Logout removes such a file, after which login works
// again.
type CacheError struct {
	Path string // the cache file
	Err  error  // the read or parse failure
}

func (e *CacheError) Error() string {
	return fmt.Sprintf("auth: token cache %s is unreadable: %v; run `onair logout` then `onair login`", e.Path, e.Err)
}

func (e *CacheError) Unwrap() error { return e.Err }

// Is reports whether target is ErrCacheUnreadable.
func (e *CacheError) Is(target error) bool { return target == ErrCacheUnreadable }

// EntraError is an OAuth 2.0 error answer from Entra ID's token or device
// code endpoint (RFC 6749 §5.2 plus Entra's extensions). It matches
// ErrLoginRequired when only a new sign-in can fix it and ErrUnavailable when
// it is transient.
type EntraError struct {
	Op          string        // what was attempted: "refresh token", "device code login", …
	StatusCode  int           // HTTP status, e.g. 400
	Code        string        // "error": invalid_grant, interaction_required, …
	SubError    string        // "suberror": consent_required, bad_token, …
	ErrorCodes  []int         // "error_codes": 700082 is AADSTS700082
	Description string        // "error_description", first line (Entra appends trace IDs)
	RetryAfter  time.Duration // Retry-After on 429/503, 0 when absent
}

func (e *EntraError) Error() string {
	prefix := "auth: " + e.Op + ": "
	if e.loginRequired() {
		prefix += "login required: "
	}
	return prefix + e.reason()
}

// reason is Entra's answer in one line: "invalid_grant (suberror): AADSTS…".
func (e *EntraError) reason() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code)
	} else {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	if e.SubError != "" {
		fmt.Fprintf(&b, " (%s)", e.SubError)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	return b.String()
}

// Is reports whether target is ErrLoginRequired (refresh refused) or
// ErrUnavailable (transient) for this answer.
func (e *EntraError) Is(target error) bool {
	switch target {
	case ErrLoginRequired:
		return e.loginRequired()
	case ErrUnavailable:
		return e.transient()
	}
	return false
}

// loginCodes are the OAuth error codes that only a new sign-in fixes
// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
var loginCodes = []string{
	"invalid_grant",        // refresh token expired (AADSTS700082), revoked, password changed, consent
	"interaction_required", // MFA or Conditional Access (AADSTS50076, AADSTS50079)
	"login_required",
	"consent_required",
	"authorization_declined", // device code: the user said no
	"expired_token",          // device code: not entered in time
	"access_denied",
}

func (e *EntraError) loginRequired() bool { return slices.Contains(loginCodes, e.Code) }

func (e *EntraError) transient() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 ||
		e.Code == "temporarily_unavailable"
}

// consentRequired reports whether Entra asks for (admin) consent: AADSTS65001
// arrives as invalid_grant with suberror consent_required.
func (e *EntraError) consentRequired() bool {
	return e.Code == "consent_required" || e.SubError == "consent_required" ||
		slices.Contains(e.ErrorCodes, 65001)
}

// ConsentError reports that the signed-in user, or a tenant admin, has not
// consented to the scopes onair asks for. It matches ErrLoginRequired: after
// consent is granted, `onair login` signs in again.
type ConsentError struct {
	Scopes []string // short names of the scopes lacking consent, e.g. Presence.Read.All
	Err    error    // Entra's answer (an *EntraError) or MSAL's declined-scopes error
}

func (e *ConsentError) Error() string {
	op, reason := "get token", ""
	if ee, ok := e.Err.(*EntraError); ok {
		op, reason = ee.Op, ee.reason()
	} else if e.Err != nil {
		reason = e.Err.Error()
	}
	who := "consent"
	if slices.ContainsFunc(e.Scopes, func(s string) bool { return strings.HasSuffix(s, ".All") }) {
		who = "admin consent" // *.All scopes need a tenant admin in most tenants
	}
	return fmt.Sprintf("auth: %s: login required: %s required for %s (grant it in the Entra admin center → "+
		"Enterprise applications → onair's app → Permissions, then run `onair login`): %s",
		op, who, strings.Join(e.Scopes, ", "), reason)
}

func (e *ConsentError) Unwrap() error { return e.Err }

// Is reports whether target is ErrLoginRequired.
func (e *ConsentError) Is(target error) bool { return target == ErrLoginRequired }

// classify turns an MSAL error into one of this package's errors. It never
// passes MSAL's text through where that text may carry a response body with
// tokens (MSAL's JSON decode errors quote the raw body).
func classify(ctx context.Context, op string, scopes []string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*CacheError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*CacheWriteError](err); ok {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("auth: %s: %w", op, context.Cause(ctx))
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// Network failure or MSAL's own 30 s per-request timeout (the
		// caller's deadline was handled above). The URL holds no secret.
		return fmt.Errorf("auth: %s: %w: %v", op, ErrUnavailable, ue)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("auth: %s: %w: %s", op, ErrUnavailable, oneLine(err))
	}
	if call, ok := errors.AsType[msalerrors.CallErr](err); ok {
		ee := entraErrorFrom(op, call)
		if ee.consentRequired() {
			return &ConsentError{Scopes: consentScopes(scopes), Err: ee}
		}
		return ee
	}
	if _, ok := errors.AsType[msalerrors.InvalidJsonErr](err); ok {
		return fmt.Errorf("auth: %s: %w: malformed JSON answer from Entra ID", op, ErrUnavailable)
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return fmt.Errorf("auth: %s: %w: %s", op, ErrUnavailable, oneLine(err))
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "declined scopes are present"):
		// Entra granted fewer scopes than asked (base.NewAuthResult); the
		// tenant has not consented to the rest.
		return &ConsentError{Scopes: shortScopes(declinedScopes(msg, scopes)), Err: errors.New(oneLine(err))}
	case msg == "no token found":
		// MSAL found the account but no refresh token for this authority.
		return fmt.Errorf("auth: %s: %w: no refresh token in the token cache; run `onair login`", op, ErrLoginRequired)
	}
	return fmt.Errorf("auth: %s: %w", op, err)
}

// oneLine flattens MSAL's multi-line error text for a log attribute.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// entraErrorFrom decodes Entra's JSON error body from an MSAL CallErr. MSAL's
// device-code poller has already drained the response body by the time the
// error reaches us, so the body is also recovered from the error text, which
// MSAL builds as "…reply status code was 400:\n{json}".
func entraErrorFrom(op string, call msalerrors.CallErr) *EntraError {
	ee := &EntraError{Op: op}
	var body []byte
	if call.Resp != nil {
		ee.StatusCode = call.Resp.StatusCode
		if s := call.Resp.Header.Get("Retry-After"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				ee.RetryAfter = time.Duration(n) * time.Second
			}
		}
	}
	if call.Err != nil {
		if _, after, ok := strings.Cut(call.Err.Error(), "\n"); ok {
			body = []byte(after)
		}
	}
	var resp struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		ErrorCodes  []int  `json:"error_codes"`
		SubError    string `json:"suberror"`
	}
	if json.Unmarshal(body, &resp) == nil {
		ee.Code = resp.Error
		ee.SubError = resp.SubError
		ee.ErrorCodes = resp.ErrorCodes
		ee.Description, _, _ = strings.Cut(strings.TrimSpace(resp.Description), "\n")
		ee.Description = strings.TrimSpace(ee.Description)
	}
	return ee
}

// declinedScopes extracts the scope list from MSAL's "token response failed
// because declined scopes are present: a,b" error, or returns fallback.
func declinedScopes(msg string, fallback []string) []string {
	_, list, ok := strings.Cut(msg, "declined scopes are present:")
	if !ok {
		return fallback
	}
	var out []string
	for s := range strings.SplitSeq(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return fallback
	}
	return out
}

// consentScopes names the scopes that most likely lack consent. Entra's
// AADSTS65001 does not say which; the *.All ones are those that tenants
// reserve for admin consent, so they are named when present.
func consentScopes(scopes []string) []string {
	short := shortScopes(scopes)
	var all []string
	for _, s := range short {
		if strings.HasSuffix(s, ".All") {
			all = append(all, s)
		}
	}
	if len(all) > 0 {
		return all
	}
	return short
}

// shortScopes drops the resource prefix: https://graph.microsoft.com/Presence.Read
// becomes Presence.Read, which is how the Entra admin center lists permissions.
func shortScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		if i := strings.LastIndex(s, "/"); i >= 0 && strings.Contains(s, "://") {
			s = s[i+1:]
		}
		out = append(out, s)
	}
	return out
}
