package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// Defaults for Options.
const (
	// DefaultTenant signs in any work or school account. Use a tenant ID or
	// domain to restrict sign-in to one organisation.
	DefaultTenant = "organizations"
	// DefaultAuthorityHost is the Entra ID global cloud.
	DefaultAuthorityHost = "https://login.microsoftonline.com"
	// DefaultGraphResource is the Microsoft Graph global endpoint, the
	// resource the default scopes name.
	DefaultGraphResource = "https://graph.microsoft.com"
)

// DefaultScopes returns the scopes used when Options.Scopes is empty: reading
// the signed-in user's own presence.
func DefaultScopes() []string { return []string{DefaultGraphResource + "/Presence.Read"} }

// GraphScopes returns the delegated scopes onair needs from the Graph
// deployment at graphBaseURL (e.g. "https://graph.microsoft.com/v1.0", or
// "https://graph.microsoft.us/v1.0" for a national cloud; only scheme and host
// matter). Presence.Read reads the user's own presence; watchOthers adds
// Presence.Read.All and User.ReadBasic.All (resolving colleagues' UPNs), which
// most tenants reserve for admin consent. An empty graphBaseURL means
// DefaultGraphResource.
func GraphScopes(graphBaseURL string, watchOthers bool) ([]string, error) {
	resource := DefaultGraphResource
	if graphBaseURL != "" {
		u, err := url.Parse(graphBaseURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("auth: graph base URL %q: want an absolute URL such as %s/v1.0", graphBaseURL, DefaultGraphResource)
		}
		resource = u.Scheme + "://" + u.Host
	}
	scopes := []string{resource + "/Presence.Read"}
	if watchOthers {
		scopes = append(scopes, resource+"/Presence.Read.All", resource+"/User.ReadBasic.All")
	}
	return scopes, nil
}

// Options configures a Client. Only ClientID is required.
type Options struct {
	// ClientID is the Application (client) ID of an Entra app registration
	// with "Allow public client flows" enabled. Required; empty is
	// ErrNoClientID.
	ClientID string
	// Tenant is the directory to sign in to: a tenant ID, a domain, or
	// "organizations" (any work or school account). Default DefaultTenant.
	// Ignored when Authority is set.
	Tenant string
	// Authority is the full authority URL, https://<host>/<tenant>, for
	// national clouds (https://login.microsoftonline.us/<tenant>) and local
	// fakes. Default DefaultAuthorityHost + "/" + Tenant. Setting it turns off
	// MSAL's instance discovery, which would otherwise ask
	// login.microsoftonline.com to validate any host it does not know.
	Authority string
	// Scopes are the delegated permissions to request, as full URIs
	// (https://graph.microsoft.com/Presence.Read; see GraphScopes). openid,
	// profile and offline_access are dropped: MSAL adds them itself and fails
	// sign-in when they are passed (MSAL Go issue #416). Default
	// DefaultScopes.
	Scopes []string
	// CachePath is the token cache file (mode 0600, directory created 0700).
	// Empty keeps tokens in memory only, so every start needs a sign-in;
	// the daemon always sets it.
	CachePath string
	// HTTPClient sends every request to Entra ID, e.g. one that trusts a test
	// server's certificate. Default: MSAL's own client.
	HTTPClient *http.Client
	// Logger receives state transitions (signed in, login required, Entra ID
	// unavailable). Tokens never reach it. Default: discard.
	Logger *slog.Logger
}

// Account is the signed-in identity, for `onair status`.
type Account struct {
	Username      string // UPN or preferred_username, e.g. adele@contoso.com
	TenantID      string // the user's home tenant ID
	ObjectID      string // the user's object ID in that tenant
	HomeAccountID string // MSAL's key: <object ID>.<tenant ID>
	Authority     string // the authority host that issued the sign-in
}

// LogValue implements slog.LogValuer.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", a.Username), slog.String("tenant_id", a.TenantID))
}

// Client signs one person in to Entra ID and hands out access tokens for
// Graph. It is safe for concurrent use. Tokens are cached by MSAL in memory
// and in Options.CachePath; Token refreshes them silently.
type Client struct {
	pca       public.Client
	cache     *fileCache // nil: memory only
	cachePath string
	host      string // authority host[:port], lower case
	tenant    string // authority tenant segment, lower case
	scopes    []string
	logger    *slog.Logger

	sem chan struct{} // serialises Token so a refresh happens once

	mu    sync.Mutex
	state tokenState // last Token outcome, for logging transitions
	last  lastToken  // the access token Token handed out last
}

// lastToken is an access token Token handed out, with the token cache file
// as it was then. Token hands it out again without asking MSAL while it is
// valid for more than tokenMargin and the file is unchanged: the daemon
// asks every poll, and MSAL's silent path (accounts, cache search, ID
// token parsing) was a fifth of an idle daemon's CPU. A changed file
// (`onair login` or `onair logout` in another process, a refresh written
// here) sends the next call through MSAL again.
type lastToken struct {
	token   string
	expires time.Time
	file    fileStamp
}

// tokenMargin is how long before expiry MSAL stops serving a cached access
// token and redeems the refresh token instead; the memory of the last token
// keeps the same margin.
const tokenMargin = 5 * time.Minute

// New returns a Client. It does no I/O: the cache file is read on first use.
func New(opts Options) (*Client, error) {
	clientID := strings.TrimSpace(opts.ClientID)
	if clientID == "" {
		return nil, fmt.Errorf("auth: %w", ErrNoClientID)
	}
	authority := opts.Authority
	custom := authority != ""
	if !custom {
		tenant := cmp.Or(strings.TrimSpace(opts.Tenant), DefaultTenant)
		if strings.ContainsAny(tenant, "/?#") {
			return nil, fmt.Errorf("auth: tenant %q: want a tenant ID, a domain or %q", tenant, DefaultTenant)
		}
		authority = DefaultAuthorityHost + "/" + tenant
	}
	u, err := url.Parse(strings.ToLower(authority))
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("auth: authority %q: want https://<host>/<tenant>", authority)
	}
	tenant, _, _ := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if tenant == "" {
		return nil, fmt.Errorf("auth: authority %q: no tenant in the path; want https://<host>/<tenant>", authority)
	}
	scopes := cleanScopes(opts.Scopes)
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	c := &Client{
		cachePath: opts.CachePath,
		host:      u.Host,
		tenant:    tenant,
		scopes:    scopes,
		logger:    logger,
		sem:       make(chan struct{}, 1),
	}
	popts := []public.Option{public.WithAuthority(authority)}
	if custom {
		popts = append(popts, public.WithInstanceDiscovery(false))
	}
	if opts.HTTPClient != nil {
		popts = append(popts, public.WithHTTPClient(opts.HTTPClient))
	}
	if opts.CachePath != "" {
		c.cache = &fileCache{path: opts.CachePath, logger: logger, write: writeFileAtomic, now: time.Now}
		popts = append(popts, public.WithCache(c.cache))
	}
	c.pca, err = public.New(clientID, popts...)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return c, nil
}

// reservedScopes are added by MSAL to every request; passing them breaks
// sign-in with "declined scopes" because Entra never echoes offline_access.
var reservedScopes = []string{"openid", "profile", "offline_access"}

func cleanScopes(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || slices.ContainsFunc(reservedScopes, func(r string) bool { return strings.EqualFold(r, s) }) {
			continue
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return DefaultScopes()
	}
	return out
}

// Scopes returns the scopes the Client requests.
func (c *Client) Scopes() []string { return slices.Clone(c.scopes) }

// Token returns an access token for the configured scopes. It serves MSAL's
// cached token while that is valid for more than 5 minutes and otherwise
// redeems the refresh token, with no user action. With no signed-in account,
// or when Entra ID refuses the refresh, the error matches ErrLoginRequired
// (a *ConsentError when consent is missing); network trouble, 429 and 5xx
// match ErrUnavailable; an unreadable cache file is a *CacheError.
func (c *Client) Token(ctx context.Context) (string, error) { return c.token(ctx, "") }

// Refresh is Token without MSAL's cached access token: it always redeems the
// refresh token. Call it when a resource rejects a token that MSAL still
// considers valid (Graph answered 401: the token was revoked, or the clock
// is off). It asks for a token issued from now on, as Entra's own
// continuous-access-evaluation challenges do.
func (c *Client) Refresh(ctx context.Context) (string, error) {
	claims := fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, time.Now().Unix())
	return c.token(ctx, claims)
}

func (c *Client) token(ctx context.Context, claims string) (string, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("auth: get token: %w", context.Cause(ctx))
	}
	defer func() { <-c.sem }()

	if claims == "" {
		if tok, ok := c.lastValid(); ok {
			return tok, nil
		}
	}
	acct, ok, err := c.msalAccount(ctx)
	if err != nil {
		c.transition(ctx, err, Account{})
		return "", err
	}
	if !ok {
		err := fmt.Errorf("auth: get token: %w: no signed-in account in %s; run `onair login`", ErrLoginRequired, c.cacheName())
		c.transition(ctx, err, Account{})
		return "", err
	}
	opts := []public.AcquireSilentOption{public.WithSilentAccount(acct)}
	if claims != "" {
		opts = append(opts, public.WithClaims(claims))
	}
	res, err := c.pca.AcquireTokenSilent(ctx, c.scopes, opts...)
	if err != nil {
		err = classify(ctx, "refresh token", c.scopes, err)
		c.transition(ctx, err, toAccount(acct))
		return "", err
	}
	if res.Metadata.TokenSource == public.TokenSourceIdentityProvider {
		c.logger.Debug("token_refreshed", "expires_on", res.ExpiresOn.UTC(), "access_token", Secret(res.AccessToken))
	}
	c.transition(ctx, nil, toAccount(acct))
	c.remember(res.AccessToken, res.ExpiresOn)
	return res.AccessToken, nil
}

// lastValid returns the last token handed out, if it may be served again
// (see lastToken). Only a file cache has a file to check; a memory-only
// Client always asks MSAL.
func (c *Client) lastValid() (string, bool) {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	if last.token == "" || c.cache == nil || !time.Now().Add(tokenMargin).Before(last.expires) {
		return "", false
	}
	fi, err := os.Stat(c.cachePath)
	if err != nil || !stampOf(fi).same(last.file) || !c.cache.settled(last.file) {
		return "", false
	}
	return last.token, true
}

// remember records tok as the last token handed out, with the cache file
// as MSAL left it.
func (c *Client) remember(tok string, expires time.Time) {
	var file fileStamp
	if c.cache != nil {
		file = c.cache.current()
	}
	c.mu.Lock()
	c.last = lastToken{token: tok, expires: expires, file: file}
	c.mu.Unlock()
}

// forget drops the last token (a sign-out here).
func (c *Client) forget() {
	c.mu.Lock()
	c.last = lastToken{}
	c.mu.Unlock()
}

// CacheWriteError returns a *CacheWriteError while the newest tokens could
// not be written to the cache file (full disk, read-only state directory)
// and live in memory only, and nil otherwise. Token keeps working meanwhile;
// the daemon shows this as a local storage state with the error's Remedy,
// never as Entra ID being unavailable. The write is retried every minute, on
// the next Token call after that.
func (c *Client) CacheWriteError() error {
	if c.cache == nil {
		return nil
	}
	if err := c.cache.writeError(); err != nil {
		return err
	}
	return nil
}

// Account returns the signed-in account; false when there is none.
func (c *Client) Account(ctx context.Context) (Account, bool, error) {
	a, ok, err := c.msalAccount(ctx)
	if err != nil || !ok {
		return Account{}, false, err
	}
	return toAccount(a), true, nil
}

// Logout forgets every account: it removes them from MSAL's cache and
// deletes the cache file. It does not revoke anything at Entra ID. An
// unreadable cache file is deleted too, which is the remedy a *CacheError
// suggests.
func (c *Client) Logout(ctx context.Context) error {
	c.forget()
	accts, err := c.pca.Accounts(ctx)
	if _, ok := errors.AsType[*CacheError](err); ok && c.cache != nil {
		if err := c.cache.remove(); err != nil {
			return err
		}
		c.logger.Info("token_cache_removed", "path", c.cachePath, "reason", "unreadable")
		return nil
	}
	if err != nil {
		return classify(ctx, "logout", c.scopes, err)
	}
	for _, a := range accts {
		if err := c.pca.RemoveAccount(ctx, a); err != nil {
			return classify(ctx, "logout", c.scopes, err)
		}
	}
	if c.cache != nil {
		if err := c.cache.remove(); err != nil {
			return err
		}
	}
	c.logger.Info("signed_out", "accounts", len(accts))
	return nil
}

// msalAccount returns the cached account issued by this Client's authority.
// Accounts from another authority or tenant (the config changed) cannot be
// refreshed here, so they count as no account.
func (c *Client) msalAccount(ctx context.Context) (public.Account, bool, error) {
	accts, err := c.pca.Accounts(ctx)
	if err != nil {
		return public.Account{}, false, classify(ctx, "read accounts", c.scopes, err)
	}
	accts = slices.DeleteFunc(accts, func(a public.Account) bool {
		return !strings.EqualFold(a.Environment, c.host) || !strings.EqualFold(a.Realm, c.tenant)
	})
	if len(accts) == 0 {
		return public.Account{}, false, nil
	}
	slices.SortFunc(accts, func(a, b public.Account) int { return strings.Compare(a.HomeAccountID, b.HomeAccountID) })
	return accts[0], true, nil
}

func (c *Client) cacheName() string {
	if c.cachePath == "" {
		return "the in-memory token cache"
	}
	return "token cache " + c.cachePath
}

func toAccount(a public.Account) Account {
	tenant := a.Realm
	if _, utid, ok := strings.Cut(a.HomeAccountID, "."); ok && utid != "" {
		tenant = utid
	}
	return Account{
		Username:      a.PreferredUsername,
		TenantID:      tenant,
		ObjectID:      a.LocalAccountID,
		HomeAccountID: a.HomeAccountID,
		Authority:     a.Environment,
	}
}

// tokenState is the outcome class of the last Token call.
type tokenState int

const (
	stateUnknown tokenState = iota
	stateOK
	stateLoginRequired
	stateUnavailable
	stateCacheUnreadable
	stateFailed
)

func stateOf(err error) tokenState {
	switch {
	case err == nil:
		return stateOK
	case errors.Is(err, ErrCacheUnreadable):
		return stateCacheUnreadable
	case errors.Is(err, ErrLoginRequired):
		return stateLoginRequired
	case errors.Is(err, ErrUnavailable):
		return stateUnavailable
	}
	return stateFailed
}

// transition logs when the outcome class of Token changes, so a daemon that
// asks every few seconds logs once per change, not once per call.
func (c *Client) transition(ctx context.Context, err error, acct Account) {
	if ctx.Err() != nil {
		return // cancelled by the caller: no news about the sign-in
	}
	s := stateOf(err)
	c.mu.Lock()
	prev := c.state
	c.state = s
	c.mu.Unlock()
	if s == prev {
		return
	}
	switch s {
	case stateOK:
		c.logger.Info("token_available", "account", acct)
	case stateLoginRequired:
		c.logger.Warn("login_required", "err", err)
	case stateUnavailable:
		c.logger.Warn("entra_unavailable", "err", err)
	case stateCacheUnreadable:
		c.logger.Error("token_cache_unreadable", "path", c.cachePath, "err", err)
	default:
		c.logger.Warn("token_failed", "err", err)
	}
}

// DeviceCode is what the user needs to finish a device-code sign-in on
// another device: open VerificationURL and enter UserCode before ExpiresOn.
// Message is Entra's own instruction text, ready to print.
type DeviceCode struct {
	Message         string
	UserCode        string
	VerificationURL string
	ExpiresOn       time.Time
}
