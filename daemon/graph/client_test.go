package graph_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
	"github.com/onair-dev/onair/mapping"
)

// testToken is long and distinctive so that a leak is easy to spot.
const testToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.secret-test-token-value.sig"

// staticTokens is a TokenSource with a fixed answer.
type staticTokens struct {
	token string
	err   error
}

func (s staticTokens) Token(context.Context) (string, error) { return s.token, s.err }

var _ graph.TokenSource = staticTokens{}

// ignoreTime drops the observation time, which is the wall clock.
var ignoreTime = cmpopts.IgnoreFields(mapping.Presence{}, "Time")

func newClient(t *testing.T, base string, opts graph.Options) *graph.Client {
	t.Helper()
	opts.BaseURL = base
	if opts.Tokens == nil {
		opts.Tokens = staticTokens{token: testToken}
	}
	c, err := graph.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// fixtureServer serves one recorded response for every request.
type fixtureServer struct {
	status int
	header map[string]string
	body   []byte

	mu   sync.Mutex
	reqs []*http.Request
}

func serveFixture(t *testing.T, status int, file string, header map[string]string) (*httptest.Server, *fixtureServer) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	fs := &fixtureServer{status: status, header: header, body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.reqs = append(fs.reqs, r.Clone(context.Background()))
		fs.mu.Unlock()
		if _, ok := header["Content-Type"]; !ok {
			w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, fs
}

func (fs *fixtureServer) requests() []*http.Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.reqs
}

// errCheck checks an error; nil means "want no error".
type errCheck func(t *testing.T, err error)

func is(targets ...error) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		for _, target := range targets {
			if !errors.Is(err, target) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
			}
		}
	}
}

func isNot(targets ...error) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		for _, target := range targets {
			if errors.Is(err, target) {
				t.Errorf("errors.Is(%v, %v) = true, want false", err, target)
			}
		}
	}
}

func contains(subs ...string) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		for _, s := range subs {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not contain %q", err, s)
			}
		}
	}
}

func apiCode(status int, code, inner string) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		ae, ok := errors.AsType[*graph.APIError](err)
		if !ok {
			t.Fatalf("error %v is not an *APIError", err)
		}
		if ae.Status != status || ae.Code != code || ae.InnerCode != inner {
			t.Errorf("APIError status, code, inner = %d, %q, %q; want %d, %q, %q", ae.Status, ae.Code, ae.InnerCode, status, code, inner)
		}
		if ae.RequestID == "" && code != "" {
			t.Errorf("APIError.RequestID is empty")
		}
	}
}

func throttled(status int, retryAfter time.Duration) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		te, ok := errors.AsType[*graph.ThrottledError](err)
		if !ok {
			t.Fatalf("error %v is not a *ThrottledError", err)
		}
		if te.Status != status || te.RetryAfter != retryAfter {
			t.Errorf("ThrottledError{Status: %d, RetryAfter: %s}, want {%d, %s}", te.Status, te.RetryAfter, status, retryAfter)
		}
	}
}

func forbidden(permission string) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		fe, ok := errors.AsType[*graph.ForbiddenError](err)
		if !ok {
			t.Fatalf("error %v is not a *ForbiddenError", err)
		}
		if fe.Permission != permission {
			t.Errorf("ForbiddenError.Permission = %q, want %q", fe.Permission, permission)
		}
		if !strings.Contains(fe.Remedy, permission) || !strings.Contains(err.Error(), fe.Remedy) {
			t.Errorf("remedy %q does not name %s or is not in the message %q", fe.Remedy, permission, err)
		}
	}
}

func transient(status int) errCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		te, ok := errors.AsType[*graph.TransientError](err)
		if !ok {
			t.Fatalf("error %v is not a *TransientError", err)
		}
		if te.Status != status {
			t.Errorf("TransientError.Status = %d, want %d", te.Status, status)
		}
	}
}

const adele = "fa8bf3dc-eca7-46b7-bad1-db199b62afc3"

// TestMeFixtures decodes recorded /me/presence responses.
func TestMeFixtures(t *testing.T) {
	json := map[string]string{}
	html := map[string]string{"Content-Type": "text/html; charset=utf-8"}
	tests := []struct {
		name   string
		status int
		file   string
		header map[string]string
		want   mapping.Presence
		checks []errCheck
	}{
		{name: "pascal case", status: 200, file: "presence_pascal.json",
			want: mapping.Presence{User: "me", Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting, Sequence: "C1BA25E0A6B8F1D7"}},
		{name: "camel case", status: 200, file: "presence_camel.json",
			want: mapping.Presence{User: "me", Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityPresenting, Sequence: "C1BA25E0A6B8F1D8"}},
		{name: "focusing with work location", status: 200, file: "presence_focusing.json",
			want: mapping.Presence{User: "me", Availability: mapping.AvailabilityFocusing, Activity: mapping.ActivityUrgentInterruptionsOnly, Sequence: "C1BA25E0A6B8F1D9"}},
		{name: "status message and out of office", status: 200, file: "presence_status_oof.json",
			want: mapping.Presence{User: "me", Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityOutOfOffice,
				StatusMessage: "On leave until Monday — ping Bob for anything urgent", OutOfOffice: true, Sequence: "C1BA25E0A6B8F1DA"}},
		{name: "old minimal shape", status: 200, file: "presence_minimal.json",
			want: mapping.Presence{User: "me", Availability: mapping.AvailabilityAway, Activity: mapping.ActivityBeRightBack}},
		{name: "nulls tolerated", status: 200, file: "presence_nulls.json",
			want: mapping.Presence{User: "me", Availability: mapping.AvailabilityOffline}},
		{name: "unknown values kept verbatim", status: 200, file: "presence_unknown.json",
			want: mapping.Presence{User: "me", Availability: "Huddling", Activity: "Levitating", Sequence: "C1BA25E0A6B8F1DB"}},
		{name: "user object instead of presence", status: 200, file: "presence_user_object.json",
			checks: []errCheck{is(graph.ErrMalformed), contains("no availability", `"displayName": "Adele Vance"`)}},
		{name: "availability of wrong type", status: 200, file: "presence_wrong_type.json",
			checks: []errCheck{is(graph.ErrMalformed), contains("availability is a JSON number")}},
		{name: "html page", status: 200, file: "malformed.html", header: html,
			checks: []errCheck{is(graph.ErrMalformed), contains(`content type "text/html; charset=utf-8"`, "<!DOCTYPE html>")}},
		{name: "not json", status: 200, file: "malformed.html", header: json,
			checks: []errCheck{is(graph.ErrMalformed), contains("invalid JSON at byte 1")}},
		{name: "truncated", status: 200, file: "truncated.json",
			checks: []errCheck{is(graph.ErrMalformed), contains("truncated JSON")}},
		{name: "401", status: 401, file: "error_401.json",
			header: map[string]string{"WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`},
			checks: []errCheck{is(graph.ErrUnauthorized), isNot(graph.ErrTransient, graph.ErrThrottled),
				apiCode(401, "InvalidAuthenticationToken", ""), contains("InvalidAuthenticationToken", "Access token has expired")}},
		{name: "403", status: 403, file: "error_403.json",
			checks: []errCheck{is(graph.ErrForbidden), forbidden(graph.PermissionPresenceRead), apiCode(403, "Forbidden", "")}},
		{name: "404", status: 404, file: "error_404_user.json",
			checks: []errCheck{is(graph.ErrUserNotFound), contains(`user "me" not found`)}},
		{name: "429 with Retry-After", status: 429, file: "error_429.json", header: map[string]string{"Retry-After": "7"},
			checks: []errCheck{is(graph.ErrThrottled), isNot(graph.ErrTransient), throttled(429, 7*time.Second),
				apiCode(429, "activityLimitReached", "throttledRequest"), contains("retry after 7s")}},
		{name: "429 without Retry-After", status: 429, file: "error_429.json",
			checks: []errCheck{is(graph.ErrThrottled), throttled(429, 0), contains("no Retry-After")}},
		{name: "429 with garbage Retry-After", status: 429, file: "error_429.json", header: map[string]string{"Retry-After": "soon"},
			checks: []errCheck{throttled(429, 0)}},
		{name: "503 with Retry-After", status: 503, file: "error_503.json", header: map[string]string{"Retry-After": "120"},
			checks: []errCheck{is(graph.ErrThrottled), throttled(503, 120*time.Second), apiCode(503, "serviceNotAvailable", "")}},
		{name: "500", status: 500, file: "error_500.json",
			checks: []errCheck{is(graph.ErrTransient), isNot(graph.ErrThrottled), transient(500), apiCode(500, "generalException", "")}},
		{name: "502 html from a proxy", status: 502, file: "malformed.html", header: html,
			checks: []errCheck{is(graph.ErrTransient), transient(502), apiCode(502, "", ""), contains("502 Bad Gateway")}},
		{name: "400", status: 400, file: "error_400.json",
			checks: []errCheck{isNot(graph.ErrTransient, graph.ErrMalformed, graph.ErrUnauthorized), apiCode(400, "invalidRequest", "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, fs := serveFixture(t, tt.status, tt.file, tt.header)
			c := newClient(t, srv.URL+"/v1.0", graph.Options{})
			got, err := c.Me(t.Context())
			if tt.checks == nil {
				if err != nil {
					t.Fatalf("Me: %v", err)
				}
				if diff := cmp.Diff(tt.want, got, ignoreTime); diff != "" {
					t.Errorf("Me (-want +got):\n%s", diff)
				}
				if got.Time.IsZero() {
					t.Error("Presence.Time is zero")
				}
			} else {
				if err == nil {
					t.Fatalf("Me = %+v, want an error", got)
				}
				if got != (mapping.Presence{}) {
					t.Errorf("Me returned %+v with an error, want the zero Presence", got)
				}
				for _, check := range tt.checks {
					check(t, err)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("error leaks the token: %v", err)
				}
			}
			reqs := fs.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodGet || r.URL.Path != "/v1.0/me/presence" {
				t.Errorf("request %s %s, want GET /v1.0/me/presence", r.Method, r.URL.Path)
			}
			if h := r.Header.Get("Authorization"); h != "Bearer "+testToken {
				t.Errorf("Authorization = %q, want the bearer token", h)
			}
		})
	}
}

func TestUsersFixtures(t *testing.T) {
	const other = "66825e03-7ef5-42da-9069-724602c31f6b"
	t.Run("batch keyed back to ids", func(t *testing.T) {
		srv, fs := serveFixture(t, 200, "batch.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		// Ask in the opposite order, with a different case, and a
		// duplicate: the result follows the request.
		got, err := c.Users(t.Context(), []string{strings.ToUpper(adele), other, adele})
		if err != nil {
			t.Fatal(err)
		}
		want := []mapping.Presence{
			{User: strings.ToUpper(adele), Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall, StatusMessage: "Customer call", Sequence: "C2D7F6E3A1B4C5D7"},
			{User: other, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityPresenting, Sequence: "C2D7F6E3A1B4C5D6"},
		}
		if diff := cmp.Diff(want, got, ignoreTime); diff != "" {
			t.Errorf("Users (-want +got):\n%s", diff)
		}
		reqs := fs.requests()
		if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].URL.Path != "/v1.0/communications/getPresencesByUserId" {
			t.Fatalf("requests = %v, want one POST getPresencesByUserId", reqs)
		}
		if ct := reqs[0].Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("missing user left out", func(t *testing.T) {
		srv, _ := serveFixture(t, 200, "batch.json", nil)
		var logs bytes.Buffer
		c := newClient(t, srv.URL+"/v1.0", graph.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		const gone = "0bd3f2a9-5f6c-4b7e-8a9d-1c2b3a4d5e6f"
		for range 2 {
			got, err := c.Users(t.Context(), []string{adele, gone, other})
			if err != nil {
				t.Fatal(err)
			}
			var users []string
			for _, p := range got {
				users = append(users, p.User)
			}
			if diff := cmp.Diff([]string{adele, other}, users); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		}
		if n := strings.Count(logs.String(), "user missing from presence batch"); n != 1 {
			t.Errorf("missing user logged %d times, want once:\n%s", n, logs.String())
		}
	})
	t.Run("id not asked for", func(t *testing.T) {
		srv, _ := serveFixture(t, 200, "batch_extra_id.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		got, err := c.Users(t.Context(), []string{other})
		is(graph.ErrMalformed)(t, err)
		contains("0bd3f2a9-5f6c-4b7e-8a9d-1c2b3a4d5e6f", "not asked for")(t, err)
		if len(got) != 0 {
			t.Errorf("Users = %v with a malformed batch, want none", got)
		}
	})
	t.Run("no value", func(t *testing.T) {
		srv, _ := serveFixture(t, 200, "batch_no_value.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.Users(t.Context(), []string{other})
		is(graph.ErrMalformed)(t, err)
		contains("no value collection")(t, err)
	})
	t.Run("403 names Presence.Read.All", func(t *testing.T) {
		srv, _ := serveFixture(t, 403, "error_403.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.Users(t.Context(), []string{other})
		forbidden(graph.PermissionPresenceReadAll)(t, err)
	})
	t.Run("not an object ID", func(t *testing.T) {
		srv, fs := serveFixture(t, 200, "batch.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.Users(t.Context(), []string{other, "adele@contoso.com"})
		contains("not an object ID", "ResolveUser")(t, err)
		if n := len(fs.requests()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})
	t.Run("no ids, no request", func(t *testing.T) {
		srv, fs := serveFixture(t, 200, "batch.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		got, err := c.Users(t.Context(), nil)
		if err != nil || len(got) != 0 {
			t.Errorf("Users(nil) = %v, %v; want none, nil", got, err)
		}
		if n := len(fs.requests()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})
}

func TestUserFixtures(t *testing.T) {
	t.Run("presence", func(t *testing.T) {
		srv, fs := serveFixture(t, 200, "presence_camel.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		got, err := c.User(t.Context(), adele)
		if err != nil {
			t.Fatal(err)
		}
		want := mapping.Presence{User: adele, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityPresenting, Sequence: "C1BA25E0A6B8F1D8"}
		if diff := cmp.Diff(want, got, ignoreTime); diff != "" {
			t.Errorf("User (-want +got):\n%s", diff)
		}
		if p := fs.requests()[0].URL.Path; p != "/v1.0/users/"+adele+"/presence" {
			t.Errorf("path = %q", p)
		}
	})
	t.Run("presence of someone else", func(t *testing.T) {
		srv, _ := serveFixture(t, 200, "presence_camel.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.User(t.Context(), "66825e03-7ef5-42da-9069-724602c31f6b")
		is(graph.ErrMalformed)(t, err)
	})
	t.Run("404 names the user", func(t *testing.T) {
		srv, _ := serveFixture(t, 404, "error_404_user.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.User(t.Context(), adele)
		is(graph.ErrUserNotFound)(t, err)
		nf, ok := errors.AsType[*graph.NotFoundError](err)
		if !ok || nf.User != adele {
			t.Errorf("error %v: want *NotFoundError for %s", err, adele)
		}
	})
	t.Run("403 names Presence.Read.All", func(t *testing.T) {
		srv, _ := serveFixture(t, 403, "error_403.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.User(t.Context(), adele)
		forbidden(graph.PermissionPresenceReadAll)(t, err)
	})
	t.Run("lookup", func(t *testing.T) {
		srv, fs := serveFixture(t, 200, "user.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		got, err := c.LookupUser(t.Context(), "AdeleV@contoso.com")
		if err != nil {
			t.Fatal(err)
		}
		want := graph.UserInfo{ID: adele, UserPrincipalName: "AdeleV@contoso.com", DisplayName: "Adele Vance"}
		if got != want {
			t.Errorf("LookupUser = %+v, want %+v", got, want)
		}
		r := fs.requests()[0]
		if r.URL.Path != "/v1.0/users/AdeleV@contoso.com" || r.URL.Query().Get("$select") != "id,userPrincipalName,displayName" {
			t.Errorf("request %s", r.URL)
		}
	})
	t.Run("lookup 403 names User.ReadBasic.All", func(t *testing.T) {
		srv, _ := serveFixture(t, 403, "error_403.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.ResolveUser(t.Context(), "AdeleV@contoso.com")
		forbidden(graph.PermissionUserReadBasic)(t, err)
	})
	t.Run("lookup 404 names the user", func(t *testing.T) {
		srv, _ := serveFixture(t, 404, "error_404_user.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		_, err := c.ResolveUser(t.Context(), "nobody@contoso.com")
		is(graph.ErrUserNotFound)(t, err)
		contains(`user "nobody@contoso.com" not found`)(t, err)
	})
	t.Run("lookup answer without id", func(t *testing.T) {
		srv, _ := serveFixture(t, 200, "presence_minimal.json", nil)
		c := newClient(t, srv.URL+"/v1.0", graph.Options{})
		// An id that is not a GUID, as a proxy's or a wrong endpoint's
		// answer might carry.
		_, err := c.LookupUser(t.Context(), "AdeleV@contoso.com")
		if err != nil {
			t.Fatalf("LookupUser of a body with a GUID id: %v", err)
		}
		srv2, _ := serveFixture(t, 200, "error_403.json", nil)
		c2 := newClient(t, srv2.URL+"/v1.0", graph.Options{})
		_, err = c2.LookupUser(t.Context(), "AdeleV@contoso.com")
		is(graph.ErrMalformed)(t, err)
		contains("no id")(t, err)
	})
}

// errLoginRequired stands in for daemon/auth's sentinel.
var errLoginRequired = errors.New("auth: login required")

func TestTokenErrors(t *testing.T) {
	srv := graphtest.NewServer(graphtest.Options{})
	t.Cleanup(srv.Close)
	srv.AddUser(graphtest.ID(1), "a@contoso.com", "A")

	c := newClient(t, srv.URL(), graph.Options{Tokens: staticTokens{err: fmt.Errorf("refresh: %w", errLoginRequired)}})
	_, err := c.Me(t.Context())
	is(errLoginRequired)(t, err)
	isNot(graph.ErrUnauthorized, graph.ErrTransient)(t, err)
	contains("get token")(t, err)

	c = newClient(t, srv.URL(), graph.Options{Tokens: staticTokens{}})
	_, err = c.Me(t.Context())
	is(graph.ErrUnauthorized)(t, err)
	contains("empty token")(t, err)

	if n := srv.Requests(graphtest.EndpointMe); n != 0 {
		t.Errorf("%d requests without a token, want none", n)
	}
}

func TestNewOptions(t *testing.T) {
	tokens := staticTokens{token: "t"}
	tests := []struct {
		name    string
		opts    graph.Options
		wantErr string
	}{
		{name: "defaults", opts: graph.Options{Tokens: tokens}},
		{name: "national cloud", opts: graph.Options{Tokens: tokens, BaseURL: "https://graph.microsoft.us/v1.0/"}},
		{name: "max batch", opts: graph.Options{Tokens: tokens, BatchSize: 650}},
		{name: "no tokens", opts: graph.Options{}, wantErr: "Tokens is required"},
		{name: "relative base", opts: graph.Options{Tokens: tokens, BaseURL: "graph.microsoft.com/v1.0"}, wantErr: "invalid BaseURL"},
		{name: "ftp base", opts: graph.Options{Tokens: tokens, BaseURL: "ftp://graph.microsoft.com/v1.0"}, wantErr: "invalid BaseURL"},
		{name: "base with query", opts: graph.Options{Tokens: tokens, BaseURL: "https://graph.microsoft.com/v1.0?x=1"}, wantErr: "invalid BaseURL"},
		{name: "batch too big", opts: graph.Options{Tokens: tokens, BatchSize: 651}, wantErr: "invalid BatchSize 651"},
		{name: "negative batch", opts: graph.Options{Tokens: tokens, BatchSize: -1}, wantErr: "invalid BatchSize -1"},
		{name: "negative timeout", opts: graph.Options{Tokens: tokens, Timeout: -time.Second}, wantErr: "invalid Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := graph.New(tt.opts)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New = %v, %v; want a client", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	c := newClient(t, srv.URL, graph.Options{Timeout: 50 * time.Millisecond})
	_, err := c.Me(t.Context())
	is(graph.ErrTransient, context.DeadlineExceeded)(t, err)
	transient(0)(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Me(ctx)
	is(context.Canceled)(t, err)
	isNot(graph.ErrTransient)(t, err)
}

func TestNetworkErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := newClient(t, base, graph.Options{})
	_, err := c.Me(t.Context())
	is(graph.ErrTransient)(t, err)
	transient(0)(t, err)
}

// TestTokenNeverLeaks has a hostile server echo the token everywhere it can.
func TestTokenNeverLeaks(t *testing.T) {
	for _, status := range []int{200, 400, 401, 403, 429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				if status == 200 {
					fmt.Fprintf(w, `{"availability": {"token": %q}}`, tok)
					return
				}
				fmt.Fprintf(w, `{"error":{"code":%q,"message":"bad token %s","innerError":{"request-id":%q}}}`, tok, tok, tok)
			}))
			t.Cleanup(srv.Close)
			var logs bytes.Buffer
			c := newClient(t, srv.URL, graph.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			_, err := c.Me(t.Context())
			if err == nil {
				t.Fatal("Me succeeded, want an error")
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(logs.String(), testToken) {
				t.Errorf("token leaked:\nerr: %v\nlogs: %s", err, logs.String())
			}
			if !strings.Contains(err.Error(), "REDACTED") {
				t.Errorf("error %q: want the echoed token shown as REDACTED", err)
			}
		})
	}
}

func TestUnknownValuesLoggedOnce(t *testing.T) {
	srv, _ := serveFixture(t, 200, "presence_unknown.json", nil)
	var logs bytes.Buffer
	c := newClient(t, srv.URL, graph.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 {
		if _, err := c.Me(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "unknown presence value"); n != 2 {
		t.Errorf("logged %d unknown values, want 2 (availability and activity once each):\n%s", n, out)
	}
	if !strings.Contains(out, "value=Huddling") || !strings.Contains(out, "value=Levitating") {
		t.Errorf("log does not name the values:\n%s", out)
	}
}

// TestLookupSharedWithCancelledCaller checks that a caller sharing a lookup
// whose owner gave up still gets an answer.
func TestLookupSharedWithCancelledCaller(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "user.json"))
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{}, 4)
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		arrived <- struct{}{}
		if first {
			<-r.Context().Done() // hang until the owner gives up
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, graph.Options{})

	ctxA, cancelA := context.WithCancel(t.Context())
	errA := make(chan error, 1)
	go func() {
		_, err := c.LookupUser(ctxA, "AdeleV@contoso.com")
		errA <- err
	}()
	<-arrived
	resB := make(chan error, 1)
	go func() {
		info, err := c.LookupUser(t.Context(), "adelev@contoso.com")
		if err == nil && info.ID != adele {
			err = fmt.Errorf("id %q", info.ID)
		}
		resB <- err
	}()
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Errorf("owner: %v, want context.Canceled", err)
	}
	if err := <-resB; err != nil {
		t.Errorf("sharing caller: %v, want the user", err)
	}
	// The answer is cached now.
	if _, err := c.LookupUser(t.Context(), "ADELEV@contoso.com"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}
