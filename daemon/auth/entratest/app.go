package entratest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" // #nosec G505 -- x5t is defined as a SHA-1 thumbprint (RFC 7515 §4.1.7)
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// App is an application registered in the fake tenant for the OAuth 2.0
// client credentials grant (app-only tokens), as in the Entra admin center:
// App registrations → Certificates & secrets, and API permissions with admin
// consent granted.
type App struct {
	// ClientID is the application (client) ID.
	ClientID string
	// Secret is the client secret value accepted as client_secret; ""
	// accepts none.
	Secret string
	// Certificates are the public keys uploaded to the app; a client
	// assertion must be signed by the private key of one of them.
	Certificates []*x509.Certificate
	// Roles are the application permissions an admin consented to, e.g.
	// "Presence.Read.All". They become the access token's roles claim.
	Roles []string
	// ObjectID is the service principal's object ID (oid in tokens); default
	// derived from ClientID.
	ObjectID string
}

// GraphResource is the audience of app-only access tokens, the resource a
// "/.default" scope names.
const GraphResource = "https://graph.microsoft.com"

// RegisterApp adds or replaces an application for the client credentials
// grant.
func (s *Server) RegisterApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.Certificates = slices.Clone(a.Certificates)
	a.Roles = slices.Clone(a.Roles)
	if a.ObjectID == "" {
		a.ObjectID = "33333333-3333-4333-8333-333333333333"
	}
	s.apps[a.ClientID] = &a
}

// GrantRoles replaces the application permissions consented for a registered
// app; tokens issued from then on carry them.
func (s *Server) GrantRoles(clientID string, roles ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.apps[clientID]; ok {
		a.Roles = slices.Clone(roles)
	}
}

// AppToken reports whether tok is a valid app-only access token issued by
// this server, and the roles it carries. A Graph fake uses it to tell app
// tokens (no /me) from delegated ones.
func (s *Server) AppToken(tok string) (roles []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, isApp := s.appRoles[tok]
	exp, valid := s.access[tok]
	if !isApp || !valid || !time.Now().Before(exp) {
		return nil, false
	}
	return slices.Clone(r), true
}

// clientCredentialsGrantLocked answers grant_type=client_credentials: the
// client authenticates with client_secret or with a client assertion (a JWT
// signed by its certificate, RFC 7523 as Entra ID profiles it:
// https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
func (s *Server) clientCredentialsGrantLocked(w http.ResponseWriter, r *http.Request, f url.Values) {
	id := f.Get("client_id")
	a, ok := s.apps[id]
	if !ok {
		oauthError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			"AADSTS700016: Application with identifier '"+id+"' was not found in the directory '"+s.opts.TenantID+
				"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.")
		return
	}
	// MSAL adds openid, profile and offline_access to every request; Entra
	// ignores them in this grant.
	var scopes []string
	for sc := range strings.FieldsSeq(f.Get("scope")) {
		switch strings.ToLower(sc) {
		case "openid", "profile", "offline_access", "email":
		default:
			scopes = append(scopes, sc)
		}
	}
	resource, ok := "", len(scopes) == 1
	if ok {
		resource, ok = strings.CutSuffix(scopes[0], "/.default")
	}
	if !ok {
		oauthError(w, http.StatusBadRequest, "invalid_scope", 1002012,
			"AADSTS1002012: The provided value for scope "+f.Get("scope")+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
		return
	}
	switch {
	case f.Get("client_assertion") != "":
		if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			oauthError(w, http.StatusBadRequest, "invalid_request", 50027,
				"AADSTS50027: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.")
			return
		}
		tokenEndpoint := s.ts.URL + "/" + r.PathValue("tenant") + "/oauth2/v2.0/token"
		if code, desc := s.checkAssertionLocked(a, f.Get("client_assertion"), tokenEndpoint); code != 0 {
			oauthError(w, http.StatusUnauthorized, "invalid_client", code, desc)
			return
		}
	case f.Get("client_secret") != "":
		if a.Secret == "" || f.Get("client_secret") != a.Secret {
			oauthError(w, http.StatusUnauthorized, "invalid_client", 7000215,
				"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+id+"'.")
			return
		}
	default:
		oauthError(w, http.StatusBadRequest, "invalid_client", 7000218,
			"AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	s.issueAppLocked(w, a, resource)
}

// checkAssertionLocked verifies a client assertion and returns 0, or the
// AADSTS code and description Entra ID answers with.
func (s *Server) checkAssertionLocked(a *App, assertion, tokenEndpoint string) (int, string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return 50027, "AADSTS50027: JWT token is invalid or malformed."
	}
	var hdr struct {
		Alg     string `json:"alg"`
		X5t     string `json:"x5t"`
		X5tS256 string `json:"x5t#S256"`
	}
	var claims struct {
		Aud string      `json:"aud"`
		Iss string      `json:"iss"`
		Sub string      `json:"sub"`
		Jti string      `json:"jti"`
		Exp json.Number `json:"exp"`
		Nbf json.Number `json:"nbf"`
	}
	if decodeSegment(parts[0], &hdr) != nil || decodeSegment(parts[1], &claims) != nil {
		return 50027, "AADSTS50027: JWT token is invalid or malformed."
	}
	// The thumbprint in the header names the key; Entra looks it up among
	// the app's registered certificates.
	var cert *x509.Certificate
	for _, c := range a.Certificates {
		s1, s256 := sha1.Sum(c.Raw), sha256.Sum256(c.Raw) // #nosec G401 -- thumbprint, not a signature
		if hdr.X5tS256 != "" && thumbMatch(hdr.X5tS256, s256[:]) || hdr.X5tS256 == "" && hdr.X5t != "" && thumbMatch(hdr.X5t, s1[:]) {
			cert = c
			break
		}
	}
	if cert == nil {
		return 700027, "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '" +
			strings.ToUpper(cmpOr(hdr.X5tS256, hdr.X5t)) + "']"
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return 700027, "AADSTS700027: Client assertion failed signature validation. [Reason - The key is not an RSA key.]"
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return 700027, "AADSTS700027: Client assertion contains an invalid signature."
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch hdr.Alg {
	case "PS256":
		err = rsa.VerifyPSS(pub, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
	case "RS256":
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	default:
		return 700027, "AADSTS700027: Client assertion failed signature validation. [Reason - unsupported alg '" + hdr.Alg + "'.]"
	}
	if err != nil {
		return 700027, "AADSTS700027: Client assertion contains an invalid signature. [Reason - The key used for signing does not match the registered certificate.]"
	}
	now := time.Now()
	if now.After(cert.NotAfter) {
		return 700027, "AADSTS700027: Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '" + strings.ToUpper(cmpOr(hdr.X5tS256, hdr.X5t)) + "']"
	}
	if claims.Iss != a.ClientID || claims.Sub != a.ClientID {
		return 700021, "AADSTS700021: Client assertion application identifier doesn't match 'client_id' parameter."
	}
	if claims.Aud != tokenEndpoint {
		return 700027, "AADSTS700027: Client assertion audience claim does not match Realm issuer. Audience '" + claims.Aud + "', expected '" + tokenEndpoint + "'."
	}
	exp, errExp := claims.Exp.Int64()
	nbf, errNbf := claims.Nbf.Int64()
	const skew = 5 * time.Minute
	if errExp != nil || errNbf != nil || now.After(time.Unix(exp, 0).Add(skew)) || now.Add(skew).Before(time.Unix(nbf, 0)) {
		return 700024, "AADSTS700024: Client assertion is not within its valid time range."
	}
	if claims.Jti == "" {
		return 50027, "AADSTS50027: JWT token is invalid or malformed. [Reason - no jti claim.]"
	}
	if _, seen := s.jtis[claims.Jti]; seen {
		return 700027, "AADSTS700027: Client assertion failed signature validation. [Reason - The jti has been used before (replay).]"
	}
	s.jtis[claims.Jti] = time.Unix(exp, 0)
	return 0, ""
}

// thumbMatch compares a header thumbprint with a hash. MSAL Go encodes it
// with standard base64; RFC 7515 says base64url; both are accepted.
func thumbMatch(h string, sum []byte) bool {
	return h == base64.StdEncoding.EncodeToString(sum) || h == base64.RawURLEncoding.EncodeToString(sum) ||
		h == base64.URLEncoding.EncodeToString(sum)
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	return d.Decode(v)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// issueAppLocked answers a client credentials grant: an access token only
// (no refresh token, no id_token). The access token is JWT-shaped, as
// Entra's are, so clients can read its roles claim; its signature is not a
// real one, and Graph fakes check it with AppToken or ValidAccessToken.
func (s *Server) issueAppLocked(w http.ResponseWriter, a *App, resource string) {
	s.n++
	now := time.Now()
	claims := map[string]any{
		"aud":   resource,
		"iss":   "https://sts.windows.net/" + s.opts.TenantID + "/",
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   now.Add(s.lifetime).Unix(),
		"appid": a.ClientID,
		"idtyp": "app",
		"oid":   a.ObjectID,
		"sub":   a.ObjectID,
		"tid":   s.opts.TenantID,
		"uti":   fmt.Sprintf("%s-%d", s.opts.AccessToken, s.n),
		"ver":   "1.0",
	}
	if len(a.Roles) > 0 { // Entra leaves roles out when nothing is granted
		claims["roles"] = a.Roles
	}
	at := b64JSON(map[string]string{"typ": "JWT", "alg": "RS256", "kid": "entratest"}) + "." + b64JSON(claims) + "." + randomString(43)
	s.access[at] = now.Add(s.lifetime)
	s.appRoles[at] = slices.Clone(a.Roles)
	s.lastAccess = at
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     int(s.lifetime / time.Second),
		"ext_expires_in": int(s.lifetime / time.Second),
		"access_token":   at,
	})
}

// Certificate is a self-signed RSA certificate with its key, for an App and
// the client that signs assertions with it.
type Certificate struct {
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
	// PEM holds the certificate and the PKCS#8 private key, the form
	// `openssl req -x509 -newkey rsa:2048 -nodes` writes.
	PEM []byte
}

// NewCertificate returns a 2048-bit RSA certificate valid from an hour ago
// until notAfter.
func NewCertificate(tb testing.TB, commonName string, notAfter time.Time) Certificate {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})...)
	return Certificate{Cert: cert, Key: key, PEM: out}
}
