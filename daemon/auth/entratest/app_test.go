package entratest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth/entratest"
)

const appID = "55555555-5555-4555-8555-555555555555"

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// assertion signs a client assertion the way MSAL Go does (PS256, x5t#S256
// in standard base64), with claims edited by edit.
func assertion(t *testing.T, c entratest.Certificate, aud string, edit func(h, cl map[string]any)) string {
	t.Helper()
	sum := sha256.Sum256(c.Cert.Raw)
	h := map[string]any{"alg": "PS256", "typ": "JWT", "x5t#S256": base64.StdEncoding.EncodeToString(sum[:])}
	now := time.Now()
	cl := map[string]any{"aud": aud, "iss": appID, "sub": appID, "jti": now.String(),
		"exp": now.Add(10 * time.Minute).Unix(), "nbf": now.Unix()}
	if edit != nil {
		edit(h, cl)
	}
	signing := b64(h) + "." + b64(cl)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPSS(rand.Reader, c.Key, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func postAssertion(t *testing.T, srv *entratest.Server, a string) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL()+"/"+entratest.TenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appID}, "scope": {entratest.GraphResource + "/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestClientAssertionChecks(t *testing.T) {
	t.Parallel()
	srv := entratest.New(t, entratest.Options{})
	cert := entratest.NewCertificate(t, "app", time.Now().Add(time.Hour))
	other := entratest.NewCertificate(t, "other", time.Now().Add(time.Hour))
	srv.RegisterApp(entratest.App{ClientID: appID, Certificates: []*x509.Certificate{cert.Cert}, Roles: []string{"Presence.Read.All"}})
	aud := srv.URL() + "/" + entratest.TenantID + "/oauth2/v2.0/token"

	good := assertion(t, cert, aud, nil)
	status, body := postAssertion(t, srv, good)
	if status != http.StatusOK {
		t.Fatalf("good assertion: %d %v", status, body)
	}
	tok, _ := body["access_token"].(string)
	if roles, ok := srv.AppToken(tok); !ok || len(roles) != 1 || roles[0] != "Presence.Read.All" {
		t.Errorf("AppToken = %v, %v", roles, ok)
	}

	for _, tc := range []struct {
		name, a, want string
	}{
		{"replayed jti", good, "AADSTS700027"},
		{"wrong audience", assertion(t, cert, "https://login.example/token", nil), "audience"},
		{"wrong issuer", assertion(t, cert, aud, func(_, cl map[string]any) { cl["iss"] = "someone-else" }), "AADSTS700021"},
		{"wrong subject", assertion(t, cert, aud, func(_, cl map[string]any) { cl["sub"] = "someone-else" }), "AADSTS700021"},
		{"expired", assertion(t, cert, aud, func(_, cl map[string]any) { cl["exp"] = time.Now().Add(-time.Hour).Unix() }), "AADSTS700024"},
		{"not yet valid", assertion(t, cert, aud, func(_, cl map[string]any) { cl["nbf"] = time.Now().Add(time.Hour).Unix() }), "AADSTS700024"},
		{"no jti", assertion(t, cert, aud, func(_, cl map[string]any) { delete(cl, "jti") }), "jti"},
		{"unregistered certificate", assertion(t, other, aud, nil), "not registered"},
		{"thumbprint of registered cert, signed by another key", assertion(t, other, aud, func(h, _ map[string]any) {
			sum := sha256.Sum256(cert.Cert.Raw)
			h["x5t#S256"] = base64.StdEncoding.EncodeToString(sum[:])
		}), "invalid signature"},
		{"tampered", good[:strings.LastIndexByte(good, '.')] + ".AAAA", "AADSTS700027"},
	} {
		status, body := postAssertion(t, srv, tc.a)
		desc, _ := body["error_description"].(string)
		if status != http.StatusUnauthorized && status != http.StatusBadRequest || !strings.Contains(desc, tc.want) {
			t.Errorf("%s: %d %q, want a refusal containing %q", tc.name, status, desc, tc.want)
		}
	}
}

func TestClientSecretGrant(t *testing.T) {
	t.Parallel()
	srv := entratest.New(t, entratest.Options{})
	srv.RegisterApp(entratest.App{ClientID: appID, Secret: "right"})
	post := func(secret, scope string) (int, map[string]any) {
		resp, err := srv.Client().PostForm(srv.URL()+"/"+entratest.TenantID+"/oauth2/v2.0/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {appID}, "scope": {scope}, "client_secret": {secret}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if st, body := post("right", entratest.GraphResource+"/.default"); st != http.StatusOK || body["refresh_token"] != nil {
		t.Errorf("right secret: %d %v, want 200 and no refresh token", st, body)
	}
	if st, body := post("wrong", entratest.GraphResource+"/.default"); st != http.StatusUnauthorized || body["error"] != "invalid_client" ||
		!strings.Contains(body["error_description"].(string), "AADSTS7000215") {
		t.Errorf("wrong secret: %d %v", st, body)
	}
	if st, body := post("right", entratest.GraphResource+"/Presence.Read.All"); st != http.StatusBadRequest ||
		!strings.Contains(body["error_description"].(string), "/.default") {
		t.Errorf("scope without /.default: %d %v", st, body)
	}
}
