package auth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
)

// TestTokensNeverLogged runs every flow, success and failure, with a Debug
// logger and known token strings, then searches the log for them.
func TestTokensNeverLogged(t *testing.T) {
	t.Parallel()
	handlers := []struct {
		name string
		new  func(io.Writer, *slog.HandlerOptions) slog.Handler
	}{
		{"text", func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewTextHandler(w, o) }},
		{"json", func(w io.Writer, o *slog.HandlerOptions) slog.Handler { return slog.NewJSONHandler(w, o) }},
	}
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel()
			const atPrefix, rtPrefix = "SEKRIT-AT-x9q", "SEKRIT-RT-k3z"
			f := newFixture(t, entratest.Options{
				AccessToken:         atPrefix,
				RefreshToken:        rtPrefix,
				AccessTokenLifetime: time.Minute, // every Token call refreshes
				PendingPolls:        1,
			})
			var buf bytes.Buffer
			logger := slog.New(h.new(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c := f.client(t, func(o *auth.Options) { o.Logger = logger })
			ctx := t.Context()

			// What a daemon does with the results: log them.
			report := func(step string, v any, err error) {
				logger.Debug("step", "step", step, "value", v, "err", err)
				if err != nil && strings.Contains(err.Error(), "SEKRIT") {
					t.Errorf("%s: error text leaks a token: %v", step, err)
				}
				if s := fmt.Sprintf("%+v %#v", v, err); strings.Contains(s, "SEKRIT") {
					t.Errorf("%s: formatted value leaks a token: %s", step, s)
				}
			}

			acct, err := c.LoginDeviceCode(ctx, func(dc auth.DeviceCode) { report("device_code", dc, nil) })
			report("login", acct, err)
			for range 2 {
				tok, err := c.Token(ctx)
				if !strings.HasPrefix(tok, atPrefix) {
					t.Fatalf("Token = %q, %v; want a token starting %s", tok, err, atPrefix)
				}
				report("token", auth.Secret(tok), err)
			}
			f.srv.FailTokenRequests(1, http.StatusServiceUnavailable)
			_, err = c.Token(ctx)
			report("unavailable", nil, err)
			f.srv.MalformNextToken() // MSAL's decode error quotes the body
			_, err = c.Token(ctx)
			if !errors.Is(err, auth.ErrUnavailable) {
				t.Errorf("Token after a malformed answer = %v, want ErrUnavailable", err)
			}
			report("malformed", nil, err)
			f.srv.DenyRefresh()
			_, err = c.Token(ctx)
			report("denied", nil, err)
			acct, err = c.LoginBrowser(ctx, auth.BrowserOptions{OpenURL: f.srv.OpenURL})
			report("browser", acct, err)
			f.srv.RequireConsent()
			_, err = c.Token(ctx)
			report("consent", nil, err)
			acct, err = c.LoginDeviceCode(ctx, nil)
			report("relogin", acct, err)
			tok, err := c.Token(ctx)
			report("token", auth.Secret(tok), err)
			cached, err := os.ReadFile(f.cache)
			if err != nil || !bytes.Contains(cached, []byte(rtPrefix)) {
				t.Fatalf("cache file lacks the refresh token (%v): the search below would prove nothing", err)
			}
			report("logout", nil, c.Logout(ctx))
			_, err = c.Token(ctx)
			report("after logout", nil, err)

			out := buf.String()
			if strings.Contains(out, "SEKRIT") {
				for line := range strings.Lines(out) {
					if strings.Contains(line, "SEKRIT") {
						t.Errorf("log line leaks a token: %s", line)
					}
				}
			}
			for _, want := range []string{"signed_in", "device_code_issued", "token_refreshed",
				"entra_unavailable", "login_required", "signed_out", "REDACTED", "AADSTS700082", "AADSTS65001"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q; the flows did not run as the test expects:\n%s", want, out)
				}
			}
		})
	}
}

// TestLoginRequiredLoggedOnce checks that repeated failures log one
// transition, not one line per poll.
func TestLoginRequiredLoggedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	var buf bytes.Buffer
	daemon := f.client(t, func(o *auth.Options) { o.Logger = slog.New(slog.NewTextHandler(&buf, nil)) })
	cli := f.client(t) // `onair login` runs in another process
	login(t, cli)
	mustToken(t, daemon)
	mustToken(t, daemon)
	f.srv.DenyRefresh()
	for range 5 {
		if _, err := daemon.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
			t.Fatalf("Token = %v, want ErrLoginRequired", err)
		}
	}
	login(t, cli)
	mustToken(t, daemon)
	mustToken(t, daemon)
	out := buf.String()
	if n := strings.Count(out, "msg=login_required"); n != 1 {
		t.Errorf("login_required logged %d times, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "msg=token_available"); n != 2 {
		t.Errorf("token_available logged %d times, want 2 (start, recovery):\n%s", n, out)
	}
}

func TestSecretRedacts(t *testing.T) {
	t.Parallel()
	const raw = "eyJ0eXAiOiJKV1Qi.SEKRIT"
	s := auth.Secret(raw)
	if s.Reveal() != raw {
		t.Errorf("Reveal = %q, want %q", s.Reveal(), raw)
	}
	type holder struct{ Token auth.Secret }
	jsonOut, err := json.Marshal(holder{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"Sprint": fmt.Sprint(s),
		"%v":     fmt.Sprintf("%v", s),
		"%+v":    fmt.Sprintf("%+v", holder{s}),
		"%#v":    fmt.Sprintf("%#v", holder{s}),
		"%s":     fmt.Sprintf("%s", s),
		"%q":     fmt.Sprintf("%q", s),
		"%x":     fmt.Sprintf("%x", s),
		"%X":     fmt.Sprintf("%X", s),
		"%10.3s": fmt.Sprintf("%10.3s", s),
		"json":   string(jsonOut),
		"error":  fmt.Errorf("wrapped: %v", s).Error(),
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "token", s, "group", slog.GroupValue(slog.Any("t", s)))
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "token", s, "holder", holder{s})
	outputs["slog"] = buf.String()
	for name, out := range outputs {
		if strings.Contains(out, "SEKRIT") || strings.Contains(out, "eyJ0") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("%s = %q, want REDACTED", name, out)
		}
	}
}
