package entratest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
)

func newClient(t *testing.T, srv *entratest.Server, clientID string) *auth.Client {
	t.Helper()
	c, err := auth.New(auth.Options{
		ClientID:   clientID,
		Authority:  srv.Authority(),
		HTTPClient: srv.Client(),
		CachePath:  filepath.Join(t.TempDir(), "tokens.json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOpenIDConfiguration(t *testing.T) {
	t.Parallel()
	srv := entratest.New(t, entratest.Options{Tenant: "contoso.example"})
	if want := srv.URL() + "/contoso.example"; srv.Authority() != want {
		t.Errorf("Authority = %q, want %q", srv.Authority(), want)
	}
	resp, err := srv.Client().Get(srv.Authority() + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "issuer"} {
		v, _ := doc[k].(string)
		if !strings.HasPrefix(v, srv.URL()+"/") {
			t.Errorf("%s = %q, want a URL on the server (MSAL checks the issuer host)", k, v)
		}
	}
	// MSAL derives the device code endpoint by replacing every "token".
	tok, _ := doc["token_endpoint"].(string)
	if strings.Count(tok, "token") != 1 {
		t.Errorf("token_endpoint %q contains \"token\" more than once", tok)
	}
	if n := srv.Counts().OpenIDConfig; n != 1 {
		t.Errorf("OpenIDConfig count = %d, want 1", n)
	}
}

func TestUnknownClientID(t *testing.T) {
	t.Parallel()
	srv := entratest.New(t, entratest.Options{})
	c := newClient(t, srv, "not-registered")
	_, err := c.LoginDeviceCode(t.Context(), nil)
	ee, ok := errors.AsType[*auth.EntraError](err)
	if !ok || ee.Code != "unauthorized_client" || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Fatalf("err = %v, want unauthorized_client AADSTS700016", err)
	}
	// A wrong app registration is neither fixed by signing in nor transient.
	if errors.Is(err, auth.ErrLoginRequired) || errors.Is(err, auth.ErrUnavailable) {
		t.Errorf("err = %v matches ErrLoginRequired or ErrUnavailable", err)
	}
}

func TestValidAccessToken(t *testing.T) {
	t.Parallel()
	srv := entratest.New(t, entratest.Options{AccessToken: "graph-test-token"})
	c := newClient(t, srv, entratest.ClientID)
	if _, err := c.LoginDeviceCode(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	tok, err := c.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "graph-test-token-") || tok != srv.LastAccessToken() || !srv.ValidAccessToken(tok) {
		t.Errorf("token %q: want the configured prefix, LastAccessToken and valid", tok)
	}
	if srv.ValidAccessToken("graph-test-token-999") || srv.ValidAccessToken("") {
		t.Error("ValidAccessToken accepts a token the server never issued")
	}
	srv.ExpireAccessTokens()
	if srv.ValidAccessToken(tok) {
		t.Error("ValidAccessToken accepts an expired token")
	}
}

// TestAuthorizeChecksPKCE plays a client that loses its code verifier.
func TestAuthorizeChecksPKCE(t *testing.T) {
	t.Parallel()
	srv := entratest.New(t, entratest.Options{})
	hc := srv.Client()
	redirect := "http://localhost:1234"
	q := url.Values{
		"client_id":             {entratest.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {redirect},
		"scope":                 {"https://graph.microsoft.com/Presence.Read openid offline_access profile"},
		"state":                 {"s1"},
		"code_challenge":        {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		"code_challenge_method": {"S256"},
		"response_mode":         {"form_post"},
	}
	resp, err := hc.Get(srv.Authority() + "/oauth2/v2.0/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `action="`+redirect+`"`) || !strings.Contains(string(page), `name="state" value="s1"`) {
		t.Fatalf("authorize page is not a form_post to %s with the state:\n%s", redirect, page)
	}
	_, code, _ := strings.Cut(string(page), `name="code" value="`)
	code, _, _ = strings.Cut(code, `"`)

	tokenResp, err := hc.PostForm(srv.Authority()+"/oauth2/v2.0/token", url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {entratest.ClientID},
		"code":          {code},
		"code_verifier": {"not-the-verifier"},
		"redirect_uri":  {redirect},
		"scope":         {q.Get("scope")},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tokenResp.Body.Close()
	var body struct {
		Error string `json:"error"`
		Codes []int  `json:"error_codes"`
	}
	if err := json.NewDecoder(tokenResp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if tokenResp.StatusCode != http.StatusBadRequest || body.Error != "invalid_grant" {
		t.Errorf("token with a wrong verifier: HTTP %d %+v, want 400 invalid_grant", tokenResp.StatusCode, body)
	}

	bad := q
	bad.Set("redirect_uri", "https://evil.example/cb")
	resp, err = hc.Get(srv.Authority() + "/oauth2/v2.0/authorize?" + bad.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("authorize with a non-loopback redirect: HTTP %d, want 400", resp.StatusCode)
	}
}
