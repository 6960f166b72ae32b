// Package entratest is a local fake of Microsoft Entra ID (the v2.0 OAuth
// endpoints) served over TLS by httptest, for tests that run the real MSAL Go
// public client: device-code and browser sign-in, silent refresh, and the
// refusals that force a new sign-in.
//
// It is not a security token service: delegated tokens are opaque strings,
// the id_token is an unsigned JWT (MSAL decodes its claims and checks no
// signature), and app-only access tokens are JWT-shaped with a roles claim
// but no real signature. It does check what clients send: client secrets,
// and client assertions (signature against the registered certificate, aud,
// iss, sub, exp, nbf, jti replay, x5t#S256 or x5t thumbprint). It is not a Graph fake either; Graph fakes ask it whether a
// bearer token is valid (Server.ValidAccessToken).
//
// Typical use with daemon/auth:
//
//	srv := entratest.New(t, entratest.Options{})
//	c, err := auth.New(auth.Options{
//		ClientID:   entratest.ClientID,
//		Authority:  srv.Authority(), // turns instance discovery off
//		HTTPClient: srv.Client(),
//		CachePath:  filepath.Join(t.TempDir(), "tokens.json"),
//	})
//	_, err = c.LoginDeviceCode(t.Context(), nil) // approved at once by default
//	tok, err := c.Token(t.Context())             // srv.ValidAccessToken(tok) == true
//
// Endpoints, for the tenant segment {tenant} (any value; MSAL lower-cases
// it):
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	POST /{tenant}/oauth2/v2.0/devicecode
//	POST /{tenant}/oauth2/v2.0/token        grant_type device_code, refresh_token, authorization_code,
//	                                        client_credentials (apps added with RegisterApp; see App)
//	GET  /{tenant}/oauth2/v2.0/authorize    answers with Entra's form_post page
//	GET  /common/discovery/instance         instance discovery (MSAL sends it only to Microsoft hosts)
//	GET  /devicelogin                       the verification page (a note; use Approve)
package entratest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults for Options.
const (
	ClientID     = "00000000-0000-4000-8000-0000000c11e7" // the client ID the fake expects by default
	Tenant       = "organizations"                        // the authority's tenant segment
	TenantID     = "11111111-1111-4111-8111-111111111111" // the user's home tenant (tid, utid)
	ObjectID     = "22222222-2222-4222-8222-222222222222" // the user's object ID (oid, uid)
	Username     = "adele.vance@contoso.example"
	Name         = "Adele Vance"
	AccessToken  = "entratest-access-token"  // issued access tokens are AccessToken-<n>
	RefreshToken = "entratest-refresh-token" // issued refresh tokens are RefreshToken-<n>
)

// Options configures a Server. The zero value is a tenant where one user signs
// in and device codes are approved on the first poll.
type Options struct {
	ClientID     string // the only client_id accepted; default ClientID
	Tenant       string // tenant segment of Authority(); default Tenant
	TenantID     string // tid / utid in tokens; default TenantID
	ObjectID     string // oid / uid in tokens; default ObjectID
	Username     string // preferred_username; default Username
	AccessToken  string // prefix of issued access tokens; default AccessToken
	RefreshToken string // prefix of issued refresh tokens; default RefreshToken

	// AccessTokenLifetime is expires_in. Default 1 h. MSAL caches an access
	// token only while it has more than 5 minutes left, so anything shorter
	// makes every Token call redeem the refresh token.
	AccessTokenLifetime time.Duration
	// DeviceCodeLifetime is the device code's expires_in. Default 15 min.
	DeviceCodeLifetime time.Duration
	// PendingPolls is how many token polls of each device code answer
	// authorization_pending before it is approved. Default 0.
	PendingPolls int
	// MissingTenants are tenant segments (IDs or domains) the fake says do
	// not exist: their OpenID configuration answers 400 AADSTS90002, as
	// Entra ID does for a mistyped tenant.
	MissingTenants []string
	// ManualApproval makes device codes wait (authorization_pending) until
	// Approve or Decline is called, regardless of PendingPolls.
	ManualApproval bool
}

// Counts are the requests the server has answered, by endpoint and grant.
type Counts struct {
	OpenIDConfig      int
	InstanceDiscovery int
	DeviceCode        int // POST /devicecode
	DeviceCodePolls   int // token, grant_type=device_code (pending ones included)
	RefreshToken      int // token, grant_type=refresh_token (refused ones included)
	AuthorizationCode int // token, grant_type=authorization_code
	Authorize         int // GET /authorize
	ClientCredentials int // token, grant_type=client_credentials (refused ones included)
}

// Server is a fake Entra ID. Its methods are safe for concurrent use.
type Server struct {
	ts   *httptest.Server
	opts Options

	mu          sync.Mutex
	counts      Counts
	n           int                    // token serial
	devices     map[string]*deviceCode // by device_code
	codes       map[string]authCode    // by authorization code
	refresh     map[string]bool        // issued refresh tokens → still valid
	access      map[string]time.Time   // issued access tokens → expiry
	lastAccess  string
	lifetime    time.Duration
	slowDown    int
	decline     bool
	consent     []string // scopes needing consent on refresh; nil: none
	needConsent bool
	failures    []failure
	malform     bool
	apps        map[string]*App      // client credentials apps by client ID
	appRoles    map[string][]string  // app-only access tokens → roles
	jtis        map[string]time.Time // client assertion IDs seen → their expiry
}

type deviceCode struct {
	expires  time.Time
	polls    int
	approved bool
	declined bool
}

type authCode struct {
	challenge   string
	redirectURI string
	scope       string
}

type failure struct {
	status int
	code   string
}

// New starts a Server and stops it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := newServer(opts)
	s.ts.StartTLS()
	tb.Cleanup(s.ts.Close)
	return s
}

func newServer(opts Options) *Server {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.ClientID, ClientID)
	def(&opts.Tenant, Tenant)
	def(&opts.TenantID, TenantID)
	def(&opts.ObjectID, ObjectID)
	def(&opts.Username, Username)
	def(&opts.AccessToken, AccessToken)
	def(&opts.RefreshToken, RefreshToken)
	if opts.AccessTokenLifetime <= 0 {
		opts.AccessTokenLifetime = time.Hour
	}
	if opts.DeviceCodeLifetime <= 0 {
		opts.DeviceCodeLifetime = 15 * time.Minute
	}
	s := &Server{
		opts:     opts,
		devices:  map[string]*deviceCode{},
		codes:    map[string]authCode{},
		refresh:  map[string]bool{},
		access:   map[string]time.Time{},
		apps:     map[string]*App{},
		appRoles: map[string][]string{},
		jtis:     map[string]time.Time{},
		lifetime: opts.AccessTokenLifetime,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.openIDConfig)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/devicecode", s.deviceCode)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.authorize)
	mux.HandleFunc("GET /common/discovery/instance", s.instanceDiscovery)
	mux.HandleFunc("GET /devicelogin", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "entratest: device codes are approved by the test (Server.Approve)\n")
	})
	s.ts = httptest.NewUnstartedServer(mux)
	return s
}

// Authority returns the authority URL, https://127.0.0.1:<port>/<tenant>.
func (s *Server) Authority() string { return s.ts.URL + "/" + s.opts.Tenant }

// URL returns the server's base URL.
func (s *Server) URL() string { return s.ts.URL }

// Client returns an HTTP client that trusts the server's certificate. It also
// reaches plain-HTTP loopback addresses, as OpenURL needs.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Counts returns the requests answered so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// LastAccessToken returns the most recently issued access token, or "".
func (s *Server) LastAccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAccess
}

// ValidAccessToken reports whether tok was issued by this server and has not
// expired. A Graph fake can use it to answer 401 InvalidAuthenticationToken.
func (s *Server) ValidAccessToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.access[tok]
	return ok && time.Now().Before(exp)
}

// SetAccessTokenLifetime changes expires_in for tokens issued from now on.
// Below 5 minutes MSAL does not cache them, so each Token call refreshes.
func (s *Server) SetAccessTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lifetime = d
}

// ExpireAccessTokens makes every access token issued so far invalid for
// ValidAccessToken (as if its lifetime had ended). MSAL still serves its
// cached copy until the cached expiry; pair with a short lifetime to force
// refreshes.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.access {
		s.access[k] = time.Time{}
	}
}

// Approve approves every outstanding device code: the next poll of each gets
// tokens.
func (s *Server) Approve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		d.approved = true
	}
}

// Decline makes the user say no: outstanding device codes answer
// authorization_declined and the next authorize request posts access_denied
// back to the app.
func (s *Server) Decline() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		d.declined = true
	}
	s.decline = true
}

// SlowDown makes the next n device-code polls answer slow_down.
func (s *Server) SlowDown(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slowDown = n
}

// DenyRefresh revokes every refresh token issued so far: redeeming one
// answers invalid_grant AADSTS700082 (expired due to inactivity), as after 90
// idle days or a password reset. Tokens issued by a later sign-in work.
func (s *Server) DenyRefresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.refresh {
		s.refresh[k] = false
	}
}

// RequireConsent makes refresh requests that ask for any of scopes (matched
// case-insensitively against the scope's last path element, e.g.
// "Presence.Read.All"; none given: every request) answer invalid_grant with
// suberror consent_required (AADSTS65001), as when a tenant admin has not
// consented. A device-code or browser sign-in counts as the user consenting
// and lifts the requirement.
func (s *Server) RequireConsent(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.needConsent = true
	s.consent = slices.Clone(scopes)
}

// FailTokenRequests makes the next n token and devicecode requests answer
// status (429, 500, 503, …) with error temporarily_unavailable and, for 429
// and 503, Retry-After: 1.
func (s *Server) FailTokenRequests(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failures = append(s.failures, failure{status: status, code: "temporarily_unavailable"})
	}
}

// MalformNextToken makes the next successful token answer carry its tokens
// with an unparsable expires_in ("soon"). MSAL's decode error then quotes the
// raw body, tokens included: a test that the caller never surfaces it.
func (s *Server) MalformNextToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.malform = true
}

// OpenURL plays the user's browser for a browser sign-in: it loads the
// authorize URL, reads the form_post page and posts the form to the app's
// loopback redirect URI, as the page's script would. Pass it as
// auth.BrowserOptions.OpenURL.
func (s *Server) OpenURL(authURL string) error {
	hc := s.Client()
	resp, err := hc.Get(authURL)
	if err != nil {
		return fmt.Errorf("entratest: load authorize page: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return fmt.Errorf("entratest: read authorize page: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("entratest: authorize: HTTP %d: %s", resp.StatusCode, body)
	}
	action, form, err := parseFormPost(string(body))
	if err != nil {
		return err
	}
	post, err := hc.PostForm(action, form)
	if err != nil {
		return fmt.Errorf("entratest: post to redirect URI: %w", err)
	}
	_, _ = io.Copy(io.Discard, post.Body)
	_ = post.Body.Close()
	return nil
}

var (
	formAction = regexp.MustCompile(`<form method="POST" name="hiddenform" action="([^"]*)">`)
	formInput  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"\s*/>`)
)

func parseFormPost(page string) (string, url.Values, error) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return "", nil, errors.New("entratest: authorize page has no form_post form")
	}
	form := url.Values{}
	for _, in := range formInput.FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return html.UnescapeString(m[1]), form, nil
}

func (s *Server) issuer() string { return s.ts.URL + "/" + s.opts.TenantID + "/v2.0" }

func (s *Server) openIDConfig(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.OpenIDConfig++
	s.mu.Unlock()
	if t := r.PathValue("tenant"); slices.ContainsFunc(s.opts.MissingTenants, func(m string) bool { return strings.EqualFold(m, t) }) {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error": "invalid_tenant",
			"error_description": "AADSTS90002: Tenant '" + t + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. " +
				"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
			"error_codes": []int{90002},
			"timestamp":   time.Now().UTC().Format(time.DateTime) + "Z",
		})
		return
	}
	base := s.ts.URL + "/{tenant}"
	writeJSON(w, http.StatusOK, map[string]any{
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"issuer":                                s.ts.URL + "/{tenantid}/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"tenant_region_scope":                   nil,
	})
}

func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.InstanceDiscovery++
	s.mu.Unlock()
	host := strings.TrimPrefix(s.ts.URL, "https://")
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": s.ts.URL + "/" + s.opts.Tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: malformed request body.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.DeviceCode++
	if s.failLocked(w) || !s.clientOKLocked(w, r) {
		return
	}
	dc := randomString(32)
	uc := userCode()
	s.devices[dc] = &deviceCode{expires: time.Now().Add(s.opts.DeviceCodeLifetime)}
	verify := s.ts.URL + "/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"user_code":        uc,
		"device_code":      dc,
		"verification_uri": verify,
		"expires_in":       int(s.opts.DeviceCodeLifetime / time.Second),
		"interval":         5,
		"message": fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.",
			verify, uc),
	})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts.Authorize++
	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	switch {
	case q.Get("client_id") != s.opts.ClientID:
		http.Error(w, "AADSTS700016: Application with identifier '"+q.Get("client_id")+"' was not found in the directory.", http.StatusBadRequest)
		return
	case err != nil || ru.Scheme != "http" || ru.Hostname() != "localhost":
		http.Error(w, "AADSTS50011: The redirect URI '"+redirect+"' does not match the redirect URIs configured for the application.", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "AADSTS900144: want response_type=code with a PKCE S256 code_challenge.", http.StatusBadRequest)
		return
	}
	fields := [][2]string{{"state", q.Get("state")}}
	if s.decline {
		s.decline = false
		fields = append(fields, [2]string{"error", "access_denied"},
			[2]string{"error_description", "AADSTS65004: User declined to consent to access the app."})
	} else {
		code := randomString(32)
		s.codes[code] = authCode{challenge: q.Get("code_challenge"), redirectURI: redirect, scope: q.Get("scope")}
		fields = append(fields, [2]string{"code", code})
	}
	// Entra ID's form_post page: a form the browser submits on load.
	var b strings.Builder
	fmt.Fprintf(&b, "<html><head><title>Working...</title></head><body onload=\"document.forms[0].submit()\">\n")
	fmt.Fprintf(&b, "<form method=\"POST\" name=\"hiddenform\" action=\"%s\">\n", html.EscapeString(redirect))
	for _, f := range fields {
		fmt.Fprintf(&b, "<input type=\"hidden\" name=\"%s\" value=\"%s\" />\n", html.EscapeString(f[0]), html.EscapeString(f[1]))
	}
	b.WriteString("<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" /></noscript>\n</form></body></html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", 900144, "AADSTS900144: malformed request body.")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.Get("grant_type") {
	case "device_code":
		s.counts.DeviceCodePolls++
	case "refresh_token":
		s.counts.RefreshToken++
	case "authorization_code":
		s.counts.AuthorizationCode++
	case "client_credentials":
		s.counts.ClientCredentials++
		if !s.failLocked(w) {
			s.clientCredentialsGrantLocked(w, r, f)
		}
		return
	}
	if s.failLocked(w) || !s.clientOKLocked(w, r) {
		return
	}
	switch f.Get("grant_type") {
	case "device_code":
		s.deviceCodeGrantLocked(w, f)
	case "refresh_token":
		s.refreshGrantLocked(w, f)
	case "authorization_code":
		s.authCodeGrantLocked(w, f)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", 70003,
			"AADSTS70003: The app requested an unsupported grant type '"+f.Get("grant_type")+"'.")
	}
}

func (s *Server) deviceCodeGrantLocked(w http.ResponseWriter, f url.Values) {
	d, ok := s.devices[f.Get("device_code")]
	switch {
	case !ok:
		oauthError(w, http.StatusBadRequest, "bad_verification_code", 70019, "AADSTS70019: Verification code not recognized.")
		return
	case time.Now().After(d.expires):
		delete(s.devices, f.Get("device_code"))
		oauthError(w, http.StatusBadRequest, "expired_token", 70020, "AADSTS70020: The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
		return
	case d.declined:
		delete(s.devices, f.Get("device_code"))
		oauthError(w, http.StatusBadRequest, "authorization_declined", 70016, "AADSTS70016: The user declined the authorization request.")
		return
	case s.slowDown > 0:
		s.slowDown--
		oauthError(w, http.StatusBadRequest, "slow_down", 70016, "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
		return
	}
	d.polls++
	if !d.approved && (s.opts.ManualApproval || d.polls <= s.opts.PendingPolls) {
		oauthError(w, http.StatusBadRequest, "authorization_pending", 70016, "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
		return
	}
	delete(s.devices, f.Get("device_code"))
	s.needConsent = false
	s.issueLocked(w, f.Get("scope"))
}

func (s *Server) refreshGrantLocked(w http.ResponseWriter, f url.Values) {
	valid, ok := s.refresh[f.Get("refresh_token")]
	switch {
	case !ok:
		oauthError(w, http.StatusBadRequest, "invalid_grant", 9002313, "AADSTS9002313: Invalid request. Request is malformed or invalid.")
		return
	case !valid:
		oauthError(w, http.StatusBadRequest, "invalid_grant", 700082,
			"AADSTS700082: The refresh token has expired due to inactivity. The token was issued on "+
				time.Now().Add(-91*24*time.Hour).UTC().Format(time.RFC3339)+" and was inactive for 90.00:00:00.")
		return
	case s.consentNeededLocked(f.Get("scope")):
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error": "invalid_grant",
			"error_description": "AADSTS65001: The user or administrator has not consented to use the application with ID '" +
				s.opts.ClientID + "' named 'onair'. Send an interactive authorization request for this user and resource.\r\n" +
				"Trace ID: " + randomString(8) + "\r\nCorrelation ID: " + randomString(8) + "\r\nTimestamp: " + time.Now().UTC().Format(time.DateTime) + "Z",
			"error_codes": []int{65001},
			"suberror":    "consent_required",
			"timestamp":   time.Now().UTC().Format(time.DateTime) + "Z",
		})
		return
	}
	// Entra rotates refresh tokens; the old one stays valid, as in Entra.
	s.issueLocked(w, f.Get("scope"))
}

func (s *Server) authCodeGrantLocked(w http.ResponseWriter, f url.Values) {
	c, ok := s.codes[f.Get("code")]
	if !ok {
		oauthError(w, http.StatusBadRequest, "invalid_grant", 70000, "AADSTS70000: The provided authorization code is invalid or has expired.")
		return
	}
	delete(s.codes, f.Get("code"))
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	switch {
	case base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", 501481, "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.")
		return
	case f.Get("redirect_uri") != c.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", 50148, "AADSTS50148: The redirect_uri does not match the one in the authorization request.")
		return
	}
	s.needConsent = false
	s.issueLocked(w, f.Get("scope"))
}

func (s *Server) consentNeededLocked(scope string) bool {
	if !s.needConsent {
		return false
	}
	if len(s.consent) == 0 {
		return true
	}
	for sc := range strings.FieldsSeq(scope) {
		short := sc[strings.LastIndex(sc, "/")+1:]
		if slices.ContainsFunc(s.consent, func(c string) bool { return strings.EqualFold(c, short) }) {
			return true
		}
	}
	return false
}

// issueLocked answers a successful token request the way Entra ID v2.0 does.
func (s *Server) issueLocked(w http.ResponseWriter, scope string) {
	s.n++
	at := fmt.Sprintf("%s-%d", s.opts.AccessToken, s.n)
	now := time.Now()
	s.access[at] = now.Add(s.lifetime)
	s.lastAccess = at

	// Entra echoes the resource scopes and never the OIDC ones.
	var granted []string
	offline := false
	for sc := range strings.FieldsSeq(scope) {
		switch strings.ToLower(sc) {
		case "offline_access":
			offline = true
		case "openid", "profile", "email":
		default:
			granted = append(granted, sc)
		}
	}
	resp := map[string]any{
		"token_type":     "Bearer",
		"scope":          strings.Join(granted, " "),
		"expires_in":     int(s.lifetime / time.Second),
		"ext_expires_in": int(s.lifetime / time.Second),
		"access_token":   at,
		"id_token":       s.idTokenLocked(now),
		"client_info":    b64JSON(map[string]string{"uid": s.opts.ObjectID, "utid": s.opts.TenantID}),
	}
	if offline { // no offline_access, no refresh token
		rt := fmt.Sprintf("%s-%d", s.opts.RefreshToken, s.n)
		s.refresh[rt] = true
		resp["refresh_token"] = rt
	}
	if s.malform {
		s.malform = false
		resp["expires_in"] = "soon"
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// idTokenLocked is an unsigned JWT (alg none). MSAL Go decodes the payload
// segment only (accesstokens.IDToken.UnmarshalJSON).
func (s *Server) idTokenLocked(now time.Time) string {
	header := b64JSON(map[string]string{"typ": "JWT", "alg": "none"})
	claims := b64JSON(map[string]any{
		"aud":                s.opts.ClientID,
		"iss":                s.issuer(),
		"iat":                now.Unix(),
		"nbf":                now.Unix(),
		"exp":                now.Add(time.Hour).Unix(),
		"name":               Name,
		"oid":                s.opts.ObjectID,
		"preferred_username": s.opts.Username,
		"sub":                "entratest-" + s.opts.ObjectID,
		"tid":                s.opts.TenantID,
		"ver":                "2.0",
	})
	return header + "." + claims + "."
}

func (s *Server) clientOKLocked(w http.ResponseWriter, r *http.Request) bool {
	if id := r.PostForm.Get("client_id"); id != s.opts.ClientID {
		oauthError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			"AADSTS700016: Application with identifier '"+id+"' was not found in the directory 'entratest'.")
		return false
	}
	return true
}

func (s *Server) failLocked(w http.ResponseWriter) bool {
	if len(s.failures) == 0 {
		return false
	}
	f := s.failures[0]
	s.failures = s.failures[1:]
	if f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	oauthError(w, f.status, f.code, 0, "entratest: injected failure (HTTP "+strconv.Itoa(f.status)+")")
	return true
}

func oauthError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	body := map[string]any{
		"error":             code,
		"error_description": desc,
		"timestamp":         time.Now().UTC().Format(time.DateTime) + "Z",
		"trace_id":          randomString(8),
		"correlation_id":    randomString(8),
	}
	if aadsts != 0 {
		body["error_codes"] = []int{aadsts}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func b64JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// userCode is a 9-character code like Entra's (no 0/O, 1/I confusion).
func userCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
