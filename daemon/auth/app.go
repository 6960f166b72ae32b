package auth

import (
	"bytes"
	"cmp"
	"context"
	"crypto"
	"crypto/sha1" // #nosec G505 -- the Entra admin center shows certificates by their SHA-1 thumbprint
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"software.sslmate.com/src/go-pkcs12"
)

// Application permissions onair's app-only mode asks an admin for. Graph
// names them the same as the delegated ones; "(Application)" in messages
// tells them apart, as the Entra admin center does.
const (
	RolePresenceReadAll    = "Presence.Read.All"
	RoleGroupMemberReadAll = "GroupMember.Read.All"
	RoleCalendarsReadBasic = "Calendars.ReadBasic"
	RoleCalendarsRead      = "Calendars.Read"
	RoleUserReadBasicAll   = "User.ReadBasic.All"
)

// CertExpiryWarning is how far ahead CertificateExpiry reports a
// certificate as expiring soon.
const CertExpiryWarning = 30 * 24 * time.Hour

// AppCredential is how an app proves its identity to Entra ID in the client
// credentials grant: a certificate with its private key, or a client
// secret. Build one with LoadCertificate, CertificateFromBytes,
// SecretCredential or LoadAppCredential. The zero value is no credential.
type AppCredential struct {
	certs  []*x509.Certificate // leaf first
	key    crypto.PrivateKey
	secret Secret
	// Source names where it came from, for messages: a file path, "env
	// ONAIR_CLIENT_SECRET", "inline". Never the secret itself.
	Source string
	// Warning is set when the credential was accepted against advice (an
	// inline secret); the caller logs it once.
	Warning string
}

// Format implements fmt.Formatter: every verb prints the source and the
// certificate's thumbprint, never the secret or the private key (fmt would
// otherwise print unexported fields raw).
func (c AppCredential) Format(f fmt.State, _ rune) { _, _ = fmt.Fprint(f, c.describe()) }

// LogValue implements slog.LogValuer, with the same redaction as Format.
func (c AppCredential) LogValue() slog.Value { return slog.StringValue(c.describe()) }

func (c AppCredential) describe() string {
	switch {
	case c.IsCertificate():
		return "certificate " + c.Thumbprint() + " from " + c.Source
	case c.secret != "":
		return "client secret " + redacted + " from " + c.Source
	}
	return "no credential"
}

// IsCertificate reports whether the credential is a certificate.
func (c AppCredential) IsCertificate() bool { return len(c.certs) > 0 }

// Certificate returns the leaf certificate, or nil for a secret.
func (c AppCredential) Certificate() *x509.Certificate {
	if len(c.certs) == 0 {
		return nil
	}
	return c.certs[0]
}

// Thumbprint returns the certificate's SHA-1 thumbprint in upper-case hex,
// as the Entra admin center lists it under Certificates & secrets; "" for
// a secret.
func (c AppCredential) Thumbprint() string {
	if len(c.certs) == 0 {
		return ""
	}
	sum := sha1.Sum(c.certs[0].Raw) // #nosec G401 -- a display thumbprint
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// CertificateExpiry returns the certificate's NotAfter and whether it falls
// within CertExpiryWarning of now (or has passed). ok is false for a secret,
// whose expiry Entra ID does not reveal to the client.
func (c AppCredential) CertificateExpiry(now time.Time) (notAfter time.Time, soon, ok bool) {
	cert := c.Certificate()
	if cert == nil {
		return time.Time{}, false, false
	}
	return cert.NotAfter, !now.Add(CertExpiryWarning).Before(cert.NotAfter), true
}

// SecretCredential is a client secret value (not its Secret ID). source
// names where it came from for messages.
func SecretCredential(secret, source string) (AppCredential, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return AppCredential{}, fmt.Errorf("auth: client secret from %s is empty", source)
	}
	return AppCredential{secret: Secret(secret), Source: source}, nil
}

// LoadCertificate reads a certificate and its private key from path: PEM
// (certificate plus an unencrypted PKCS#8 or PKCS#1 key, in one file) or
// PKCS#12 (.pfx/.p12, as Windows and the Azure portal export it) opened with
// password. PKCS#12 is decoded with software.sslmate.com/src/go-pkcs12,
// which reads the AES-256/PBKDF2 files that OpenSSL 3 and Windows write by
// default; golang.org/x/crypto/pkcs12 is frozen and reads only the legacy
// RC2/3DES ones.
func LoadCertificate(path, password string) (AppCredential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return AppCredential{}, fmt.Errorf("auth: read certificate: %w", err)
	}
	return CertificateFromBytes(data, password, path)
}

// CertificateFromBytes is LoadCertificate for data already read; source
// names it in messages.
func CertificateFromBytes(data []byte, password, source string) (AppCredential, error) {
	var (
		certs []*x509.Certificate
		key   crypto.PrivateKey
		err   error
	)
	if bytes.Contains(data, []byte("-----BEGIN")) {
		certs, key, err = confidential.CertFromPEM(data, "")
		if err != nil {
			return AppCredential{}, fmt.Errorf("auth: certificate %s: %w (want a PEM file with the certificate and an unencrypted private key, or a PKCS#12 .pfx with certificate_password_file)", source, err)
		}
	} else {
		var leaf *x509.Certificate
		var chain []*x509.Certificate
		key, leaf, chain, err = pkcs12.DecodeChain(data, password)
		if err != nil {
			if errors.Is(err, pkcs12.ErrIncorrectPassword) {
				return AppCredential{}, fmt.Errorf("auth: certificate %s: wrong PKCS#12 password (check certificate_password_file / certificate_password_env)", source)
			}
			return AppCredential{}, fmt.Errorf("auth: certificate %s: not PEM, and not a PKCS#12 file: %w", source, err)
		}
		certs = append([]*x509.Certificate{leaf}, chain...)
	}
	// Put the certificate matching the key first: MSAL puts the first
	// certificate's thumbprint in the assertion.
	signer, ok := key.(crypto.Signer)
	if !ok {
		return AppCredential{}, fmt.Errorf("auth: certificate %s: private key of type %T cannot sign", source, key)
	}
	i := slices.IndexFunc(certs, func(c *x509.Certificate) bool {
		pub, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		return ok && pub.Equal(signer.Public())
	})
	if i < 0 {
		return AppCredential{}, fmt.Errorf("auth: certificate %s: the private key does not belong to any certificate in the file", source)
	}
	certs[0], certs[i] = certs[i], certs[0]
	return AppCredential{certs: certs, key: key, Source: source}, nil
}

// CredentialConfig is where the app's credential lives, as the config file
// names it (graph.auth). Exactly one of a certificate, a secret file, a
// secret environment variable or an inline secret must be set.
type CredentialConfig struct {
	CertificateFile         string // PEM or PKCS#12
	CertificatePasswordFile string // PKCS#12 password, first line of the file
	CertificatePasswordEnv  string // or the variable holding it
	ClientSecretFile        string // secret value, first line of the file
	ClientSecretEnv         string // or the variable holding it
	ClientSecret            string // inline; refused unless AllowInlineSecret
	AllowInlineSecret       bool
	// Getenv reads environment variables; default os.Getenv.
	Getenv func(string) string
}

// LoadAppCredential builds the credential cfg describes. The message of
// every error names the config key to fix.
func LoadAppCredential(cfg CredentialConfig) (AppCredential, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var set []string
	for _, f := range []struct{ name, v string }{
		{"certificate_file", cfg.CertificateFile}, {"client_secret_file", cfg.ClientSecretFile},
		{"client_secret_env", cfg.ClientSecretEnv}, {"client_secret", cfg.ClientSecret},
	} {
		if f.v != "" {
			set = append(set, f.name)
		}
	}
	switch len(set) {
	case 0:
		return AppCredential{}, errors.New("auth: app-only mode needs a credential: set graph.auth.certificate_file (recommended), client_secret_file or client_secret_env")
	case 1:
	default:
		return AppCredential{}, fmt.Errorf("auth: graph.auth sets %s: set exactly one credential", strings.Join(set, " and "))
	}
	switch {
	case cfg.CertificateFile != "":
		if cfg.CertificatePasswordFile != "" && cfg.CertificatePasswordEnv != "" {
			return AppCredential{}, errors.New("auth: set certificate_password_file or certificate_password_env, not both")
		}
		password := ""
		switch {
		case cfg.CertificatePasswordFile != "":
			p, err := firstLine(cfg.CertificatePasswordFile)
			if err != nil {
				return AppCredential{}, fmt.Errorf("auth: certificate_password_file: %w", err)
			}
			password = p
		case cfg.CertificatePasswordEnv != "":
			password = getenv(cfg.CertificatePasswordEnv)
			if password == "" {
				return AppCredential{}, fmt.Errorf("auth: certificate_password_env: environment variable %s is empty or unset", cfg.CertificatePasswordEnv)
			}
		}
		return LoadCertificate(cfg.CertificateFile, password)
	case cfg.ClientSecretFile != "":
		s, err := firstLine(cfg.ClientSecretFile)
		if err != nil {
			return AppCredential{}, fmt.Errorf("auth: client_secret_file: %w", err)
		}
		return SecretCredential(s, cfg.ClientSecretFile)
	case cfg.ClientSecretEnv != "":
		return SecretCredential(getenv(cfg.ClientSecretEnv), "environment variable "+cfg.ClientSecretEnv)
	}
	if !cfg.AllowInlineSecret {
		return AppCredential{}, errors.New("auth: graph.auth.client_secret is inline in the config file, where backups and support bundles copy it: " +
			"move it to client_secret_file (mode 0600) or client_secret_env, or set allow_inline_secret: true to accept the risk")
	}
	c, err := SecretCredential(cfg.ClientSecret, "inline client_secret")
	c.Warning = "graph.auth.client_secret is stored inline in the config file; prefer client_secret_file or a certificate"
	return c, err
}

// firstLine reads a secret file: its first line, trimmed. The file should
// be readable only by onair's user.
func firstLine(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return line, nil
}

// AppOptions configures an AppClient.
type AppOptions struct {
	// ClientID is the app registration's Application (client) ID. Required.
	ClientID string
	// Tenant is the directory the app reads: a tenant ID or a verified
	// domain. Required; "organizations", "common" and "consumers" name no
	// single tenant and are refused. Ignored when Authority is set.
	Tenant string
	// Authority overrides https://login.microsoftonline.com/<Tenant>, for
	// national clouds and local fakes; it turns instance discovery off.
	Authority string
	// GraphResource is the Graph deployment the token is for; the scope is
	// GraphResource + "/.default" (all application permissions granted).
	// Default DefaultGraphResource.
	GraphResource string
	// Credential proves the app's identity. Required.
	Credential AppCredential
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock for certificate expiry; default time.Now.
	Now func() time.Time
}

// AppClient gets app-only access tokens for Microsoft Graph with the client
// credentials grant (no signed-in user; application permissions an admin
// consented to). MSAL caches the token in memory and gets a new one when it
// nears expiry, so Token is cheap to call on every poll. It is safe for
// concurrent use and implements graph.TokenSource.
type AppClient struct {
	cca      confidential.Client
	cred     AppCredential
	clientID string
	tenant   string
	scopes   []string
	logger   *slog.Logger
	now      func() time.Time

	mu    sync.Mutex
	state string // class of the last Token outcome, for logging changes
}

// NewApp returns an AppClient. It does no network I/O.
func NewApp(opts AppOptions) (*AppClient, error) {
	clientID := strings.TrimSpace(opts.ClientID)
	if clientID == "" {
		return nil, errors.New("auth: app-only mode: graph.auth.client_id is empty; copy the Application (client) ID of the app registration")
	}
	if opts.Credential.certs == nil && opts.Credential.secret == "" {
		return nil, errors.New("auth: app-only mode: no credential; set graph.auth.certificate_file or a client secret")
	}
	authority := opts.Authority
	tenant := strings.TrimSpace(opts.Tenant)
	if authority == "" {
		switch strings.ToLower(tenant) {
		case "", "organizations", "common", "consumers":
			return nil, fmt.Errorf("auth: app-only mode: graph.auth.tenant %q: set the tenant ID (a GUID) or a verified domain such as contoso.com; app-only tokens are issued by one tenant", tenant)
		}
		if strings.ContainsAny(tenant, "/?#") {
			return nil, fmt.Errorf("auth: tenant %q: want a tenant ID or a domain", tenant)
		}
		authority = DefaultAuthorityHost + "/" + tenant
	} else {
		u, err := url.Parse(authority)
		if err != nil || u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return nil, fmt.Errorf("auth: authority %q: want https://<host>/<tenant>", authority)
		}
		tenant, _, _ = strings.Cut(strings.Trim(u.Path, "/"), "/")
	}
	resource := strings.TrimRight(cmp.Or(opts.GraphResource, DefaultGraphResource), "/")
	var cred confidential.Credential
	var err error
	if opts.Credential.IsCertificate() {
		cred, err = confidential.NewCredFromCert(opts.Credential.certs, opts.Credential.key)
	} else {
		cred, err = confidential.NewCredFromSecret(opts.Credential.secret.Reveal())
	}
	if err != nil {
		return nil, fmt.Errorf("auth: credential from %s: %w", opts.Credential.Source, err)
	}
	copts := []confidential.Option{}
	if opts.Authority != "" {
		copts = append(copts, confidential.WithInstanceDiscovery(false))
	}
	if opts.HTTPClient != nil {
		copts = append(copts, confidential.WithHTTPClient(opts.HTTPClient))
	}
	cca, err := confidential.New(authority, clientID, cred, copts...)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &AppClient{
		cca: cca, cred: opts.Credential, clientID: clientID, tenant: tenant,
		scopes: []string{resource + "/.default"}, logger: logger, now: now,
	}, nil
}

// Credential returns the credential in use (for `onair status`: source,
// thumbprint, expiry).
func (c *AppClient) Credential() AppCredential { return c.cred }

// CertificateExpiry is Credential().CertificateExpiry at the client's clock.
func (c *AppClient) CertificateExpiry() (notAfter time.Time, soon, ok bool) {
	return c.cred.CertificateExpiry(c.now())
}

// Token returns an app-only access token, from MSAL's cache while it is
// valid. An expired certificate fails locally with *CertificateExpiredError
// before any request. Entra's refusals become *CredentialError (wrong
// certificate or secret, unknown app) or *TenantNotFoundError; network
// trouble, 429 and 5xx match ErrUnavailable.
func (c *AppClient) Token(ctx context.Context) (string, error) { return c.token(ctx, "") }

// Refresh is Token without MSAL's cached token, for when Graph rejected a
// token MSAL still considers valid (401).
func (c *AppClient) Refresh(ctx context.Context) (string, error) {
	return c.token(ctx, fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, c.now().Unix()))
}

func (c *AppClient) token(ctx context.Context, claims string) (string, error) {
	tok, err := c.acquire(ctx, claims)
	c.transition(ctx, err)
	return tok, err
}

func (c *AppClient) acquire(ctx context.Context, claims string) (string, error) {
	if cert := c.cred.Certificate(); cert != nil && !c.now().Before(cert.NotAfter) {
		return "", &CertificateExpiredError{NotAfter: cert.NotAfter, Subject: cert.Subject.String(),
			Thumbprint: c.cred.Thumbprint(), ClientID: c.clientID}
	}
	var opts []confidential.AcquireByCredentialOption
	if claims != "" {
		opts = append(opts, confidential.WithClaims(claims))
	}
	res, err := c.cca.AcquireTokenByCredential(ctx, c.scopes, opts...)
	if err != nil {
		return "", c.classify(ctx, err)
	}
	return res.AccessToken, nil
}

// classify turns an MSAL error into this package's app-only errors.
func (c *AppClient) classify(ctx context.Context, err error) error {
	e := classify(ctx, "app-only token", c.scopes, err)
	ee, ok := errors.AsType[*EntraError](e)
	if !ok {
		return e
	}
	has := func(codes ...int) bool {
		return slices.ContainsFunc(codes, func(n int) bool { return slices.Contains(ee.ErrorCodes, n) })
	}
	switch {
	case has(90002) || ee.Code == "invalid_tenant":
		return &TenantNotFoundError{Tenant: c.tenant, Err: ee}
	case has(700027, 700024, 700021, 7000215, 7000222, 7000218, 700016) || ee.Code == "invalid_client" || ee.Code == "unauthorized_client":
		return &CredentialError{ClientID: c.clientID, Tenant: c.tenant, Certificate: c.cred.IsCertificate(),
			Thumbprint: c.cred.Thumbprint(), Source: c.cred.Source, Err: ee}
	}
	return e
}

// transition logs when the class of Token's outcome changes.
func (c *AppClient) transition(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	s := "ok"
	if err != nil {
		s = "failed"
		for _, target := range []error{ErrCertificateExpired, ErrInvalidCredential, ErrTenantNotFound, ErrUnavailable} {
			if errors.Is(err, target) {
				s = target.Error()
			}
		}
	}
	c.mu.Lock()
	prev := c.state
	c.state = s
	c.mu.Unlock()
	if s == prev {
		return
	}
	if err == nil {
		c.logger.Info("app_token_available", "client_id", c.clientID, "tenant", c.tenant)
		return
	}
	c.logger.Warn("app_token_failed", "err", err)
}

// Permissions is what a configuration needs the app to be granted.
type Permissions struct {
	Groups   bool // graph.groups configured: GroupMember.Read.All
	Calendar bool // calendar.enabled: Calendars.ReadBasic (the application permission of that name) or Calendars.Read
	// Users resolves watched UPNs to object IDs: User.ReadBasic.All.
	Users bool
}

// Required lists the application permissions p needs, each as
// alternatives (any one of them suffices), least privileged first.
func (p Permissions) Required() [][]string {
	out := [][]string{{RolePresenceReadAll}}
	if p.Users {
		out = append(out, []string{RoleUserReadBasicAll, "User.Read.All", "Directory.Read.All"})
	}
	if p.Groups {
		out = append(out, []string{RoleGroupMemberReadAll, "Group.Read.All", "Directory.Read.All"})
	}
	if p.Calendar {
		out = append(out, []string{RoleCalendarsReadBasic, RoleCalendarsRead, "Calendars.ReadWrite"})
	}
	return out
}

// CheckResult is what Check found.
type CheckResult struct {
	ClientID string
	Tenant   string
	// Roles are the application permissions in the token's roles claim.
	Roles []string
	// CertificateNotAfter is the certificate's expiry (zero for a secret);
	// CertificateExpiresSoon is true within CertExpiryWarning.
	CertificateNotAfter    time.Time
	CertificateExpiresSoon bool
}

// Check is `onair login` in app-only mode: it gets a token, reads its roles
// claim and reports the first application permission need lacks as a
// *PermissionError. Failures to get a token are Token's errors.
func (c *AppClient) Check(ctx context.Context, need Permissions) (CheckResult, error) {
	res := CheckResult{ClientID: c.clientID, Tenant: c.tenant}
	res.CertificateNotAfter, res.CertificateExpiresSoon, _ = c.CertificateExpiry()
	tok, err := c.Token(ctx)
	if err != nil {
		return res, err
	}
	roles, err := TokenRoles(tok)
	if err != nil {
		return res, err
	}
	res.Roles = roles
	var missing []string
	for _, alts := range need.Required() {
		if !slices.ContainsFunc(alts, func(a string) bool {
			return slices.ContainsFunc(roles, func(r string) bool { return strings.EqualFold(r, a) })
		}) {
			missing = append(missing, alts[0])
		}
	}
	if len(missing) > 0 {
		return res, &PermissionError{Missing: missing, ClientID: c.clientID, Tenant: c.tenant}
	}
	c.logger.Info("app_permissions_ok", "client_id", c.clientID, "tenant", c.tenant, "roles", roles)
	return res, nil
}

// TokenRoles decodes the roles claim of an access token (a JWT issued by
// Entra ID). It does not check the signature: the token came straight from
// the token endpoint over TLS, and Graph checks it anyway. No roles claim
// is an empty list, as Entra omits it when nothing is granted.
func TokenRoles(token string) ([]string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("auth: access token is not a JWT; cannot read its roles")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("auth: access token payload is not base64url")
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, errors.New("auth: access token payload is not JSON")
	}
	return claims.Roles, nil
}
