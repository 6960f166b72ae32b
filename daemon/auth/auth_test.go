package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
)

// fixture is one fake tenant plus a token cache path shared by the Clients
// a test creates (each Client plays one process: daemon or CLI).
type fixture struct {
	srv   *entratest.Server
	cache string
}

func newFixture(t *testing.T, opts entratest.Options) *fixture {
	t.Helper()
	return &fixture{
		srv:   entratest.New(t, opts),
		cache: filepath.Join(t.TempDir(), "state", "onair", "tokens.json"),
	}
}

// client returns a Client for the fixture; edit may change the options.
func (f *fixture) client(t *testing.T, edit ...func(*auth.Options)) *auth.Client {
	t.Helper()
	opts := auth.Options{
		ClientID:   entratest.ClientID,
		Authority:  f.srv.Authority(),
		HTTPClient: f.srv.Client(),
		CachePath:  f.cache,
		Logger:     slog.New(slog.DiscardHandler),
	}
	for _, e := range edit {
		e(&opts)
	}
	c, err := auth.New(opts)
	if err != nil {
		t.Fatalf("auth.New: %v", err)
	}
	return c
}

func login(t *testing.T, c *auth.Client) auth.Account {
	t.Helper()
	acct, err := c.LoginDeviceCode(t.Context(), nil)
	if err != nil {
		t.Fatalf("LoginDeviceCode: %v", err)
	}
	return acct
}

func mustToken(t *testing.T, c *auth.Client) string {
	t.Helper()
	tok, err := c.Token(t.Context())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return tok
}

var wantAccount = auth.Account{
	Username:      entratest.Username,
	TenantID:      entratest.TenantID,
	ObjectID:      entratest.ObjectID,
	HomeAccountID: entratest.ObjectID + "." + entratest.TenantID,
}

func TestLoginDeviceCodePendingThenApproved(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{PendingPolls: 2})
	c := f.client(t)

	var shown []auth.DeviceCode
	acct, err := c.LoginDeviceCode(t.Context(), func(dc auth.DeviceCode) { shown = append(shown, dc) })
	if err != nil {
		t.Fatalf("LoginDeviceCode: %v", err)
	}
	if len(shown) != 1 {
		t.Fatalf("show called %d times, want 1", len(shown))
	}
	dc := shown[0]
	if dc.UserCode == "" || !strings.Contains(dc.Message, dc.UserCode) || dc.VerificationURL != f.srv.URL()+"/devicelogin" {
		t.Errorf("device code = %+v; want a user code, a message naming it and the fake's verification URL", dc)
	}
	if left := time.Until(dc.ExpiresOn); left < 14*time.Minute || left > 15*time.Minute {
		t.Errorf("device code expires in %v, want about 15m", left)
	}
	acct.Authority = ""
	if diff := cmp.Diff(wantAccount, acct); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
	if got := f.srv.Counts(); got.DeviceCode != 1 || got.DeviceCodePolls != 3 {
		t.Errorf("counts = %+v, want 1 device code and 3 polls (2 pending)", got)
	}

	tok := mustToken(t, c)
	if tok != f.srv.LastAccessToken() || !f.srv.ValidAccessToken(tok) {
		t.Errorf("Token = %q, want the issued token %q", tok, f.srv.LastAccessToken())
	}
	// A fresh 1 h token is served from MSAL's cache: no refresh, no churn.
	if again := mustToken(t, c); again != tok {
		t.Errorf("second Token = %q, want the cached %q", again, tok)
	}
	if n := f.srv.Counts().RefreshToken; n != 0 {
		t.Errorf("refresh grants = %d, want 0 while the access token is fresh", n)
	}
}

func TestLoginDeviceCodeSlowDownThenManualApproval(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{ManualApproval: true})
	f.srv.SlowDown(1)
	c := f.client(t)

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	acct, err := c.LoginDeviceCode(ctx, func(auth.DeviceCode) {
		wg.Go(func() {
			// The user types the code after MSAL has polled twice.
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for f.srv.Counts().DeviceCodePolls < 2 {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
			f.srv.Approve()
		})
	})
	if err != nil {
		t.Fatalf("LoginDeviceCode: %v", err)
	}
	if acct.Username != entratest.Username {
		t.Errorf("username = %q, want %q", acct.Username, entratest.Username)
	}
	if n := f.srv.Counts().DeviceCodePolls; n < 3 {
		t.Errorf("polls = %d, want ≥ 3 (slow_down, pending, approved)", n)
	}
}

func TestLoginDeviceCodeDeclined(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{ManualApproval: true})
	c := f.client(t)
	_, err := c.LoginDeviceCode(t.Context(), func(auth.DeviceCode) { f.srv.Decline() })
	ee, ok := errors.AsType[*auth.EntraError](err)
	if !ok || ee.Code != "authorization_declined" {
		t.Fatalf("err = %v, want an *EntraError authorization_declined", err)
	}
	if !errors.Is(err, auth.ErrLoginRequired) || errors.Is(err, auth.ErrUnavailable) {
		t.Errorf("err = %v: want ErrLoginRequired, not ErrUnavailable", err)
	}
	if _, ok, _ := c.Account(t.Context()); ok {
		t.Error("Account reports a sign-in after a declined login")
	}
}

func TestLoginDeviceCodeExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{ManualApproval: true, DeviceCodeLifetime: time.Second})
	c := f.client(t)
	_, err := c.LoginDeviceCode(t.Context(), nil)
	ee, ok := errors.AsType[*auth.EntraError](err)
	if !ok || ee.Code != "expired_token" || !strings.Contains(err.Error(), "onair login") {
		t.Fatalf("err = %v, want an expired_token *EntraError telling to run onair login", err)
	}
}

func TestLoginDeviceCodeCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{ManualApproval: true})
	c := f.client(t)
	ctx, cancel := context.WithCancel(t.Context())
	_, err := c.LoginDeviceCode(ctx, func(auth.DeviceCode) { cancel() })
	if !errors.Is(err, context.Canceled) || errors.Is(err, auth.ErrLoginRequired) {
		t.Fatalf("err = %v, want context.Canceled only", err)
	}
}

func TestLoginBrowser(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t)

	var opened string
	acct, err := c.LoginBrowser(t.Context(), auth.BrowserOptions{
		LoginHint: entratest.Username,
		OpenURL: func(u string) error {
			opened = u
			return f.srv.OpenURL(u) // the "browser": GET authorize, POST the form back
		},
	})
	if err != nil {
		t.Fatalf("LoginBrowser: %v", err)
	}
	if acct.Username != entratest.Username {
		t.Errorf("username = %q, want %q", acct.Username, entratest.Username)
	}
	u, err := url.Parse(opened)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(opened, f.srv.Authority()+"/oauth2/v2.0/authorize?") ||
		q.Get("response_mode") != "form_post" || q.Get("login_hint") != entratest.Username ||
		!strings.HasPrefix(q.Get("redirect_uri"), "http://localhost:") ||
		!strings.Contains(q.Get("scope"), "https://graph.microsoft.com/Presence.Read") {
		t.Errorf("opened %s; want the fake's authorize URL with form_post, the login hint, a loopback redirect and Presence.Read", opened)
	}
	if got := f.srv.Counts(); got.Authorize != 1 || got.AuthorizationCode != 1 {
		t.Errorf("counts = %+v, want 1 authorize and 1 authorization_code grant", got)
	}
	if tok := mustToken(t, c); !f.srv.ValidAccessToken(tok) {
		t.Errorf("Token after browser login = %q, not issued by the fake", tok)
	}
}

func TestLoginBrowserDeclined(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	f.srv.Decline()
	c := f.client(t)
	_, err := c.LoginBrowser(t.Context(), auth.BrowserOptions{OpenURL: f.srv.OpenURL})
	if err == nil || !strings.Contains(err.Error(), "AADSTS65004") {
		t.Fatalf("err = %v, want the AADSTS65004 decline", err)
	}
	if n := f.srv.Counts().AuthorizationCode; n != 0 {
		t.Errorf("authorization_code grants = %d, want 0", n)
	}
}

func TestLoginBrowserOpenFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t)
	noBrowser := errors.New("no browser on this host")
	_, err := c.LoginBrowser(t.Context(), auth.BrowserOptions{OpenURL: func(string) error { return noBrowser }})
	if !errors.Is(err, noBrowser) {
		t.Fatalf("err = %v, want it to wrap the OpenURL failure", err)
	}
}

func TestSilentRefreshAfterExpiry(t *testing.T) {
	t.Parallel()
	// Below 5 minutes of lifetime MSAL does not cache the access token, so
	// every Token call redeems the refresh token: expiry without waiting.
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	c := f.client(t)
	login(t, c)
	first := f.srv.LastAccessToken()

	for i := 1; i <= 2; i++ {
		tok := mustToken(t, c)
		if n := f.srv.Counts().RefreshToken; n != i {
			t.Fatalf("after Token #%d: refresh grants = %d, want %d", i, n, i)
		}
		if tok == first || tok != f.srv.LastAccessToken() {
			t.Errorf("Token #%d = %q, want the freshly refreshed %q", i, tok, f.srv.LastAccessToken())
		}
	}
	if n := f.srv.Counts().DeviceCode; n != 1 {
		t.Errorf("device code requests = %d, want 1: refresh needs no user action", n)
	}
}

func TestRefreshBypassesCachedToken(t *testing.T) {
	t.Parallel()
	// An hour-long token is cached by MSAL; when a resource rejects it
	// anyway (revoked), Refresh must redeem the refresh token.
	f := newFixture(t, entratest.Options{})
	c := f.client(t)
	login(t, c)
	cached := mustToken(t, c)
	if n := f.srv.Counts().RefreshToken; n != 0 {
		t.Fatalf("Token with a fresh cached token made %d refresh grants", n)
	}
	f.srv.ExpireAccessTokens()
	if f.srv.ValidAccessToken(mustToken(t, c)) {
		t.Fatal("Token refreshed on its own; the test needs MSAL's cached token")
	}
	tok, err := c.Refresh(t.Context())
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if tok == cached || !f.srv.ValidAccessToken(tok) {
		t.Errorf("Refresh gave %q, want a new valid token", tok)
	}
	if n := f.srv.Counts().RefreshToken; n != 1 {
		t.Errorf("refresh grants = %d, want 1", n)
	}
	if got := mustToken(t, c); got != tok {
		t.Errorf("Token after Refresh = %q, want the refreshed %q from the cache", got, tok)
	}
	f.srv.DenyRefresh()
	if _, err := c.Refresh(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("Refresh with a revoked refresh token = %v, want ErrLoginRequired", err)
	}
}

func TestTokenSurvivesRestart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	login(t, f.client(t))
	issued := f.srv.LastAccessToken()

	// A new process reads the cache file: the access token is still fresh.
	daemon := f.client(t)
	if tok := mustToken(t, daemon); tok != issued {
		t.Errorf("Token after restart = %q, want the cached %q", tok, issued)
	}
	acct, ok, err := daemon.Account(t.Context())
	if err != nil || !ok || acct.Username != entratest.Username {
		t.Errorf("Account after restart = %+v, %v, %v; want %s", acct, ok, err, entratest.Username)
	}
	if n := f.srv.Counts().RefreshToken; n != 0 {
		t.Errorf("refresh grants = %d, want 0", n)
	}
}

func TestDaemonSeesLoginFromOtherProcess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	daemon := f.client(t)
	if _, err := daemon.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Fatalf("Token before login: %v, want ErrLoginRequired", err)
	}
	login(t, f.client(t)) // `onair login` in another process
	if tok := mustToken(t, daemon); !f.srv.ValidAccessToken(tok) {
		t.Errorf("daemon Token = %q, not a token from the fake", tok)
	}
}

func TestNoAccountIsLoginRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t)
	_, err := c.Token(t.Context())
	if !errors.Is(err, auth.ErrLoginRequired) || !strings.Contains(err.Error(), "onair login") {
		t.Fatalf("Token = %v, want ErrLoginRequired naming onair login", err)
	}
	if _, ok, err := c.Account(t.Context()); ok || err != nil {
		t.Errorf("Account = %v, %v; want none, nil", ok, err)
	}
	if _, err := os.Stat(f.cache); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cache file exists after only reading: %v", err)
	}
}

func TestRefreshDeniedThenNewLoginRecovers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	c := f.client(t)
	login(t, c)
	f.srv.DenyRefresh()

	_, err := c.Token(t.Context())
	if !errors.Is(err, auth.ErrLoginRequired) || errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("Token = %v, want ErrLoginRequired and not ErrUnavailable", err)
	}
	ee, ok := errors.AsType[*auth.EntraError](err)
	if !ok || ee.Code != "invalid_grant" || ee.StatusCode != http.StatusBadRequest || len(ee.ErrorCodes) != 1 || ee.ErrorCodes[0] != 700082 {
		t.Fatalf("err = %#v, want invalid_grant 400 with AADSTS700082", err)
	}
	if !strings.Contains(err.Error(), "AADSTS700082") || strings.Contains(err.Error(), "Trace ID") {
		t.Errorf("message %q: want the AADSTS700082 reason without Entra's trace lines", err)
	}
	// Still denied on the next attempt: no flapping.
	if _, err := c.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("second Token = %v, want ErrLoginRequired", err)
	}

	login(t, c)
	if tok := mustToken(t, c); !f.srv.ValidAccessToken(tok) {
		t.Errorf("Token after new login = %q, not from the fake", tok)
	}
}

func TestConsentRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	scopes, err := auth.GraphScopes("https://graph.microsoft.com/v1.0", true)
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t, func(o *auth.Options) { o.Scopes = scopes })
	login(t, c)
	f.srv.RequireConsent("Presence.Read.All")

	_, err = c.Token(t.Context())
	ce, ok := errors.AsType[*auth.ConsentError](err)
	if !ok || !errors.Is(err, auth.ErrLoginRequired) {
		t.Fatalf("Token = %v, want a *ConsentError matching ErrLoginRequired", err)
	}
	if diff := cmp.Diff([]string{"Presence.Read.All", "User.ReadBasic.All"}, ce.Scopes); diff != "" {
		t.Errorf("consent scopes (-want +got):\n%s", diff)
	}
	for _, want := range []string{"admin consent required for Presence.Read.All", "AADSTS65001"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if ee, ok := errors.AsType[*auth.EntraError](err); !ok || ee.SubError != "consent_required" {
		t.Errorf("err = %v, want it to wrap the consent_required *EntraError", err)
	}

	login(t, c) // the user (or admin) consents while signing in again
	mustToken(t, c)
}

func TestTransientFailuresAreNotLoginRequired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	var offline atomic.Bool
	hc := f.srv.Client()
	base := hc.Transport
	hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if offline.Load() {
			return nil, errors.New("network is unreachable")
		}
		return base.RoundTrip(r)
	})
	c := f.client(t, func(o *auth.Options) { o.HTTPClient = hc })
	login(t, c)

	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusInternalServerError} {
		f.srv.FailTokenRequests(1, status)
		_, err := c.Token(t.Context())
		if !errors.Is(err, auth.ErrUnavailable) || errors.Is(err, auth.ErrLoginRequired) {
			t.Errorf("HTTP %d: Token = %v, want ErrUnavailable only", status, err)
		}
		ee, ok := errors.AsType[*auth.EntraError](err)
		if !ok || ee.StatusCode != status {
			t.Errorf("HTTP %d: err = %v, want an *EntraError with that status", status, err)
		} else if want := map[int]time.Duration{503: time.Second, 429: time.Second}[status]; ee.RetryAfter != want {
			t.Errorf("HTTP %d: RetryAfter = %v, want %v", status, ee.RetryAfter, want)
		}
	}

	offline.Store(true)
	_, err := c.Token(t.Context())
	if !errors.Is(err, auth.ErrUnavailable) || errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("offline: Token = %v, want ErrUnavailable only", err)
	}
	offline.Store(false)
	mustToken(t, c) // recovers by itself
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestLogout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t)
	login(t, c)
	mustToken(t, c)

	if err := c.Logout(t.Context()); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if _, err := c.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("Token after logout = %v, want ErrLoginRequired", err)
	}
	if _, ok, err := c.Account(t.Context()); ok || err != nil {
		t.Errorf("Account after logout = %v, %v; want none", ok, err)
	}
	if _, err := os.Stat(f.cache); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cache file after logout: %v, want it removed", err)
	}
	// Another process (the daemon) loses the sign-in too.
	if _, err := f.client(t).Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("other process Token = %v, want ErrLoginRequired", err)
	}
	if err := c.Logout(t.Context()); err != nil {
		t.Errorf("second Logout: %v, want nil", err)
	}
}

func TestAccountFromOtherAuthorityIsIgnored(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	login(t, f.client(t))
	other := f.client(t, func(o *auth.Options) { o.Authority = f.srv.URL() + "/contoso.example" })
	if _, ok, err := other.Account(t.Context()); ok || err != nil {
		t.Errorf("Account for another tenant = %v, %v; want none", ok, err)
	}
	if _, err := other.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("Token for another tenant = %v, want ErrLoginRequired", err)
	}
}

func TestConcurrentTokenRefreshesOnce(t *testing.T) {
	t.Parallel()
	// The login's token is too short-lived to cache; the refreshed one lasts.
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	c := f.client(t)
	login(t, c)
	f.srv.SetAccessTokenLifetime(time.Hour)

	var wg sync.WaitGroup
	toks := make([]string, 8)
	for i := range toks {
		wg.Go(func() {
			tok, err := c.Token(t.Context())
			if err != nil {
				t.Errorf("Token: %v", err)
			}
			toks[i] = tok
		})
	}
	wg.Wait()
	for i, tok := range toks {
		if tok != toks[0] {
			t.Errorf("token %d = %q, want %q", i, tok, toks[0])
		}
	}
	if n := f.srv.Counts().RefreshToken; n != 1 {
		t.Errorf("refresh grants = %d, want 1 for 8 concurrent callers", n)
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t, func(o *auth.Options) {
		o.Scopes = []string{"openid", " offline_access", "Profile", "https://graph.microsoft.com/Presence.Read", "https://graph.microsoft.com/presence.read"}
	})
	if diff := cmp.Diff([]string{"https://graph.microsoft.com/Presence.Read"}, c.Scopes()); diff != "" {
		t.Errorf("Scopes (-want +got):\n%s", diff)
	}
	login(t, c) // would fail with "declined scopes" had offline_access been passed on

	tests := []struct {
		name   string
		base   string
		others bool
		want   []string
	}{
		{"default", "", false, []string{"https://graph.microsoft.com/Presence.Read"}},
		{"others", "https://graph.microsoft.com/v1.0", true, []string{
			"https://graph.microsoft.com/Presence.Read",
			"https://graph.microsoft.com/Presence.Read.All",
			"https://graph.microsoft.com/User.ReadBasic.All"}},
		{"us gov", "https://graph.microsoft.us/v1.0/", false, []string{"https://graph.microsoft.us/Presence.Read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.GraphScopes(tt.base, tt.others)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GraphScopes (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := auth.GraphScopes("graph.microsoft.com", false); err == nil {
		t.Error("GraphScopes accepted a base URL without a scheme")
	}
	if got := auth.DefaultScopes(); len(got) != 1 || got[0] != "https://graph.microsoft.com/Presence.Read" {
		t.Errorf("DefaultScopes = %v", got)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := auth.New(auth.Options{ClientID: "  "})
	if !errors.Is(err, auth.ErrNoClientID) {
		t.Fatalf("New without client ID = %v, want ErrNoClientID", err)
	}
	for _, want := range []string{"App registrations", "New registration", "Allow public client flows",
		"Presence.Read", "Presence.Read.All", "User.ReadBasic.All", "Application (client) ID", "graph.client_id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ErrNoClientID message lacks %q: %s", want, err)
		}
	}

	bad := []auth.Options{
		{ClientID: "x", Authority: "http://login.example/tenant"},
		{ClientID: "x", Authority: "https://login.example"},
		{ClientID: "x", Authority: "https://login.example/"},
		{ClientID: "x", Tenant: "a/b"},
	}
	for _, o := range bad {
		if _, err := auth.New(o); err == nil || errors.Is(err, auth.ErrNoClientID) {
			t.Errorf("New(%+v) = %v, want an authority error", o, err)
		}
	}

	// No side effects: nothing is created until the cache is first written.
	dir := filepath.Join(t.TempDir(), "not-yet")
	c, err := auth.New(auth.Options{ClientID: "x", CachePath: filepath.Join(dir, "tokens.json")})
	if err != nil || c == nil {
		t.Fatalf("New with defaults: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("New created %s: %v", dir, err)
	}
}

func TestMemoryOnlyCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t, func(o *auth.Options) { o.CachePath = "" })
	login(t, c)
	mustToken(t, c)
	if err := c.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("Token after logout = %v, want ErrLoginRequired", err)
	}
}

// The daemon's client serves its last token again without MSAL while the
// cache file is unchanged; a sign-out or a new sign-in by another process
// (`onair logout`, `onair login`) changes the file and is seen at once.
func TestLastTokenFollowsTheCacheFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	login(t, f.client(t))
	daemon := f.client(t)
	first := mustToken(t, daemon)
	if again := mustToken(t, daemon); again != first {
		t.Fatalf("second Token = %q, want the same %q", again, first)
	}

	if err := f.client(t).Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Fatalf("Token after another process signed out = %v, want ErrLoginRequired", err)
	}

	login(t, f.client(t))
	tok := mustToken(t, daemon)
	if tok == first || tok != f.srv.LastAccessToken() {
		t.Errorf("Token after another process signed in = %q, want its new token %q", tok, f.srv.LastAccessToken())
	}
	if err := daemon.Logout(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("Token after signing out here = %v, want ErrLoginRequired", err)
	}
}
