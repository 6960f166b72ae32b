package graphtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

// result is a decoded response.
type result struct {
	status int
	header http.Header
	raw    []byte
	json   map[string]any
}

// call sends a request to the fake; token "" sends no Authorization.
func call(t *testing.T, srv *graphtest.Server, method, path, token, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.json)
	return r
}

// errorCode returns error.code of a Graph error body.
func (r result) errorCode() string {
	e, _ := r.json["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func newServer(t *testing.T, opts graphtest.Options) *graphtest.Server {
	t.Helper()
	srv := graphtest.NewServer(opts)
	t.Cleanup(srv.Close)
	srv.AddUser(graphtest.ID(1), "adele@contoso.com", "Adele Vance")
	srv.AddUser(graphtest.ID(2), "bob@contoso.com", "Bob Smith")
	return srv
}

func TestPresenceShapes(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	srv.SetPresence(graphtest.ID(1), "busy", "inAMeeting")
	srv.SetStatusMessage(graphtest.ID(1), "In the Oslo office")
	srv.SetOutOfOffice(graphtest.ID(1), true)

	me := call(t, srv, "GET", "/me/presence", "tok", "")
	if me.status != 200 || !strings.HasPrefix(me.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /me/presence: %d %s", me.status, me.header.Get("Content-Type"))
	}
	want := map[string]any{
		"@odata.context": srv.URL() + "/$metadata#users('" + graphtest.ID(1) + "')/presence/$entity",
		"id":             graphtest.ID(1),
		"availability":   "busy",
		"activity":       "inAMeeting",
		"sequenceNumber": srv.Sequence(graphtest.ID(1)),
		"statusMessage": map[string]any{
			"message":           map[string]any{"content": "In the Oslo office", "contentType": "text"},
			"expiryDateTime":    map[string]any{"dateTime": "9999-12-30T23:00:00.0000000", "timeZone": "UTC"},
			"publishedDateTime": "2024-01-01T09:00:00.0000000Z",
		},
		"outOfOfficeSettings": map[string]any{"message": nil, "isOutOfOffice": true},
	}
	if diff := cmp.Diff(want, me.json); diff != "" {
		t.Errorf("/me/presence (-want +got):\n%s", diff)
	}

	// Another user's status message has no dates (reference A.2).
	srv.SetStatusMessage(graphtest.ID(2), "Lunch")
	other := call(t, srv, "GET", "/users/"+graphtest.ID(2)+"/presence", "tok", "")
	sm, _ := other.json["statusMessage"].(map[string]any)
	if _, ok := sm["expiryDateTime"]; ok || sm["message"] == nil {
		t.Errorf("other user's statusMessage = %v, want a message without dates", sm)
	}
	if other.json["availability"] != "Offline" || other.json["activity"] != "Offline" {
		t.Errorf("new user's presence = %v/%v, want Offline/Offline", other.json["availability"], other.json["activity"])
	}
	// The same through /communications/presences/{id}, case-insensitive id.
	alt := call(t, srv, "GET", "/communications/presences/"+strings.ToUpper(graphtest.ID(2)), "tok", "")
	if alt.status != 200 || alt.json["id"] != graphtest.ID(2) {
		t.Errorf("/communications/presences: %d %v", alt.status, alt.json)
	}
	// An empty activity is null.
	srv.SetPresence(graphtest.ID(2), "Away", "")
	if got := call(t, srv, "GET", "/users/"+graphtest.ID(2)+"/presence", "tok", ""); got.json["activity"] != nil {
		t.Errorf("empty activity sent as %v, want null", got.json["activity"])
	}
	// Clearing the status message sends null.
	srv.SetStatusMessage(graphtest.ID(2), "")
	if got := call(t, srv, "GET", "/users/"+graphtest.ID(2)+"/presence", "tok", ""); got.json["statusMessage"] != nil {
		t.Errorf("cleared statusMessage = %v, want null", got.json["statusMessage"])
	}
	if got := call(t, srv, "GET", "/users/"+graphtest.ID(7)+"/presence", "tok", ""); got.status != 404 || got.errorCode() != "itemNotFound" {
		t.Errorf("unknown user: %d %s", got.status, got.raw)
	}
	// SetMe moves /me.
	srv.SetMe(graphtest.ID(2))
	if got := call(t, srv, "GET", "/me/presence", "tok", ""); got.json["id"] != graphtest.ID(2) {
		t.Errorf("after SetMe, /me is %v", got.json["id"])
	}
}

func TestSequenceNumbers(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	var seqs []string
	for i := range 12 {
		srv.SetPresence(graphtest.ID(1+i%2), "Available", "Available")
		seqs = append(seqs, srv.Sequence(graphtest.ID(1+i%2)))
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence numbers do not sort: %q then %q", seqs[i-1], seqs[i])
		}
	}
	got := call(t, srv, "GET", "/me/presence", "tok", "")
	if got.json["sequenceNumber"] != srv.Sequence(graphtest.ID(1)) {
		t.Errorf("served %v, Sequence says %s", got.json["sequenceNumber"], srv.Sequence(graphtest.ID(1)))
	}
}

func TestBatch(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	srv.SetPresence(graphtest.ID(2), "DoNotDisturb", "Presenting")
	body := fmt.Sprintf(`{"ids":[%q,%q,%q]}`, graphtest.ID(2), graphtest.ID(404), graphtest.ID(1))
	got := call(t, srv, "POST", "/communications/getPresencesByUserId", "tok", body)
	if got.status != 200 {
		t.Fatalf("batch: %d %s", got.status, got.raw)
	}
	if got.json["@odata.context"] != srv.URL()+"/$metadata#Collection(microsoft.graph.presence)" {
		t.Errorf("@odata.context = %v", got.json["@odata.context"])
	}
	value, _ := got.json["value"].([]any)
	var ids []string
	for _, v := range value {
		p := v.(map[string]any)
		ids = append(ids, p["id"].(string))
		for _, k := range []string{"availability", "activity", "statusMessage", "outOfOfficeSettings", "sequenceNumber"} {
			if _, ok := p[k]; !ok {
				t.Errorf("value entry %v has no %s", p["id"], k)
			}
		}
	}
	// Request order, unknown ids left out.
	if diff := cmp.Diff([]string{graphtest.ID(2), graphtest.ID(1)}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}

	var many []string
	for i := range graphtest.MaxBatch + 1 {
		many = append(many, fmt.Sprintf("%q", graphtest.ID(1000+i)))
	}
	tests := []struct {
		name, body string
	}{
		{"651 ids", `{"ids":[` + strings.Join(many, ",") + `]}`},
		{"not json", `ids=1`},
		{"no ids", `{}`},
		{"empty ids", `{"ids":[]}`},
		{"not an object id", `{"ids":["adele@contoso.com"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, srv, "POST", "/communications/getPresencesByUserId", "tok", tt.body)
			if got.status != 400 || got.errorCode() != "invalidRequest" {
				t.Errorf("%d %s, want 400 invalidRequest", got.status, got.raw)
			}
		})
	}
	// Exactly 650 is fine.
	ok := call(t, srv, "POST", "/communications/getPresencesByUserId", "tok", `{"ids":[`+strings.Join(many[:graphtest.MaxBatch], ",")+`]}`)
	if ok.status != 200 {
		t.Errorf("650 ids: %d %s", ok.status, ok.raw)
	}
	log := srv.Log()
	if last := log[len(log)-1]; last.IDs != 650 || last.Endpoint != graphtest.EndpointBatch {
		t.Errorf("last logged request = %+v, want 650 ids to the batch endpoint", last)
	}
	if got := call(t, srv, "GET", "/communications/getPresencesByUserId", "tok", ""); got.status != 405 {
		t.Errorf("GET batch: %d, want 405", got.status)
	}
}

func TestLookupUser(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	for _, key := range []string{"adele@contoso.com", "ADELE@contoso.com", graphtest.ID(1)} {
		got := call(t, srv, "GET", "/users/"+key+"?$select=id,userPrincipalName,displayName", "tok", "")
		if got.status != 200 || got.json["id"] != graphtest.ID(1) || got.json["displayName"] != "Adele Vance" || got.json["userPrincipalName"] != "adele@contoso.com" {
			t.Errorf("lookup %s: %d %s", key, got.status, got.raw)
		}
	}
	if got := call(t, srv, "GET", "/users/nobody@contoso.com", "tok", ""); got.status != 404 || got.errorCode() != "Request_ResourceNotFound" {
		t.Errorf("unknown user: %d %s", got.status, got.raw)
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 4 {
		t.Errorf("Requests(EndpointUser) = %d, want 4", n)
	}
	if n := srv.Requests("/users/adele@contoso.com"); n != 1 {
		t.Errorf("Requests by path = %d, want 1", n)
	}
}

func TestAuth(t *testing.T) {
	t.Run("any token by default", func(t *testing.T) {
		srv := newServer(t, graphtest.Options{})
		if got := call(t, srv, "GET", "/me/presence", "whatever", ""); got.status != 200 {
			t.Errorf("%d, want 200", got.status)
		}
		got := call(t, srv, "GET", "/me/presence", "", "")
		if got.status != 401 || got.errorCode() != "InvalidAuthenticationToken" || !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("no token: %d %v %s", got.status, got.header, got.raw)
		}
		e := got.json["error"].(map[string]any)
		inner, _ := e["innerError"].(map[string]any)
		if e["message"] != "Access token is empty." || inner["request-id"] == nil || got.header.Get("request-id") == "" {
			t.Errorf("error body %s", got.raw)
		}
	})
	t.Run("added tokens and scopes", func(t *testing.T) {
		srv := newServer(t, graphtest.Options{})
		srv.AddToken("me-only", graphtest.ScopePresenceRead)
		srv.AddToken("all")
		tests := []struct {
			token, method, path, body string
			want                      int
		}{
			{"me-only", "GET", "/me/presence", "", 200},
			{"me-only", "GET", "/users/" + graphtest.ID(2) + "/presence", "", 403},
			{"me-only", "POST", "/communications/getPresencesByUserId", `{"ids":["` + graphtest.ID(2) + `"]}`, 403},
			{"me-only", "GET", "/users/bob@contoso.com", "", 403},
			{"all", "GET", "/users/" + graphtest.ID(2) + "/presence", "", 200},
			{"all", "POST", "/communications/getPresencesByUserId", `{"ids":["` + graphtest.ID(2) + `"]}`, 200},
			{"all", "GET", "/users/bob@contoso.com", "", 200},
			{"other", "GET", "/me/presence", "", 401},
		}
		for _, tt := range tests {
			got := call(t, srv, tt.method, tt.path, tt.token, tt.body)
			if got.status != tt.want {
				t.Errorf("%s %s with %s: %d, want %d", tt.method, tt.path, tt.token, got.status, tt.want)
			}
			if tt.want == 403 && got.errorCode() != "Forbidden" {
				t.Errorf("403 code %q", got.errorCode())
			}
		}
		srv.RevokeToken("all")
		if got := call(t, srv, "GET", "/me/presence", "all", ""); got.status != 401 {
			t.Errorf("revoked token: %d, want 401", got.status)
		}
	})
	t.Run("authorize func and scopes", func(t *testing.T) {
		srv := newServer(t, graphtest.Options{Authorize: func(tok string) bool { return strings.HasPrefix(tok, "entra-") }})
		if got := call(t, srv, "GET", "/me/presence", "entra-1", ""); got.status != 200 {
			t.Errorf("authorized token: %d", got.status)
		}
		if got := call(t, srv, "GET", "/me/presence", "forged", ""); got.status != 401 {
			t.Errorf("rejected token: %d", got.status)
		}
		srv.SetScopes(graphtest.ScopePresenceRead)
		if got := call(t, srv, "GET", "/users/"+graphtest.ID(2)+"/presence", "entra-1", ""); got.status != 403 {
			t.Errorf("without Presence.Read.All: %d, want 403", got.status)
		}
		srv.SetScopes()
		if got := call(t, srv, "GET", "/me/presence", "entra-1", ""); got.status != 403 {
			t.Errorf("without scopes: %d, want 403", got.status)
		}
	})
}

func TestFaults(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	srv.InjectFault(2, graphtest.Fault{Kind: graphtest.Throttle, RetryAfter: "7", Endpoint: graphtest.EndpointBatch})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Unavailable})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.ServerError, Status: 502})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Unauthorized})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Malformed})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Truncated})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.WrongContentType})
	srv.InjectFault(0, graphtest.Fault{Kind: graphtest.Throttle}) // no-op

	full := call(t, srv, "GET", "/users/"+graphtest.ID(2)+"/presence", "", "") // 401: consumes nothing
	if full.status != 401 {
		t.Fatalf("unauthenticated: %d", full.status)
	}
	if got := call(t, srv, "GET", "/nowhere", "tok", ""); got.status != 400 || got.errorCode() != "BadRequest" {
		t.Errorf("unknown path: %d %s", got.status, got.raw)
	}
	tests := []struct {
		status     int
		code       string
		retryAfter string
		check      func(r result) bool
	}{
		{status: 503, code: "serviceNotAvailable"},
		{status: 502, code: "generalException"},
		{status: 401, code: "InvalidAuthenticationToken"},
		{status: 200, check: func(r result) bool {
			return r.json == nil && strings.HasPrefix(r.header.Get("Content-Type"), "application/json")
		}},
		{status: 200, check: func(r result) bool { return r.json == nil && strings.HasPrefix(string(r.raw), `{"`) }},
		{status: 200, check: func(r result) bool { return strings.HasPrefix(r.header.Get("Content-Type"), "text/html") }},
		{status: 200, check: func(r result) bool { return r.json["availability"] == "Offline" }},
	}
	for i, tt := range tests {
		got := call(t, srv, "GET", "/me/presence", "tok", "")
		if got.status != tt.status || (tt.code != "" && got.errorCode() != tt.code) {
			t.Errorf("request %d: %d %s, want %d %s", i, got.status, got.raw, tt.status, tt.code)
		}
		if got.header.Get("Retry-After") != "" {
			t.Errorf("request %d: Retry-After %q, want none", i, got.header.Get("Retry-After"))
		}
		if tt.check != nil && !tt.check(got) {
			t.Errorf("request %d: unexpected reply %v %q", i, got.header, got.raw)
		}
	}
	// The batch faults waited for the batch endpoint.
	for range 2 {
		got := call(t, srv, "POST", "/communications/getPresencesByUserId", "tok", `{"ids":["`+graphtest.ID(1)+`"]}`)
		if got.status != 429 || got.header.Get("Retry-After") != "7" || got.errorCode() != "activityLimitReached" {
			t.Errorf("batch: %d Retry-After %q %s", got.status, got.header.Get("Retry-After"), got.raw)
		}
	}
	if got := call(t, srv, "POST", "/communications/getPresencesByUserId", "tok", `{"ids":["`+graphtest.ID(1)+`"]}`); got.status != 200 {
		t.Errorf("batch after faults: %d", got.status)
	}
	var kinds []graphtest.FaultKind
	for _, r := range srv.Log() {
		kinds = append(kinds, r.Fault)
	}
	want := []graphtest.FaultKind{0, 0, graphtest.Unavailable, graphtest.ServerError, graphtest.Unauthorized,
		graphtest.Malformed, graphtest.Truncated, graphtest.WrongContentType, 0, graphtest.Throttle, graphtest.Throttle, 0}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("faults in log (-want +got):\n%s", diff)
	}
	if s := graphtest.StaleSequence.String(); s != "StaleSequence" {
		t.Errorf("String = %q", s)
	}
}

func TestStaleSequence(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	// Without a previous presence: current values, older sequence.
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.StaleSequence})
	got := call(t, srv, "GET", "/me/presence", "tok", "")
	if seq, _ := got.json["sequenceNumber"].(string); seq >= srv.Sequence(graphtest.ID(1)) || got.json["availability"] != "Offline" {
		t.Errorf("stale without history: %s", got.raw)
	}
	srv.SetPresence(graphtest.ID(1), "Busy", "InACall")
	before := srv.Sequence(graphtest.ID(1))
	srv.SetPresence(graphtest.ID(1), "Available", "Available")
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.StaleSequence})
	got = call(t, srv, "GET", "/me/presence", "tok", "")
	if got.json["sequenceNumber"] != before || got.json["activity"] != "InACall" {
		t.Errorf("stale response %s, want the previous presence at %s", got.raw, before)
	}
}

func TestCountersAndWait(t *testing.T) {
	var mu sync.Mutex
	var seen []graphtest.Request
	srv := newServer(t, graphtest.Options{OnRequest: func(r graphtest.Request) {
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.WaitRequests(ctx, graphtest.EndpointMe, 3) }()
	for range 3 {
		call(t, srv, "GET", "/me/presence", "tok", "")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	call(t, srv, "GET", "/users/"+graphtest.ID(2)+"/presence", "tok", "")
	if n := srv.Requests(graphtest.EndpointMe); n != 3 {
		t.Errorf("Requests(me) = %d", n)
	}
	if n := srv.Requests(graphtest.EndpointUserPresence); n != 1 {
		t.Errorf("Requests(user presence) = %d", n)
	}
	if n := srv.Requests("/users/" + graphtest.ID(2) + "/presence"); n != 1 {
		t.Errorf("Requests(path) = %d", n)
	}
	mu.Lock()
	if len(seen) != 4 || seen[3].Endpoint != graphtest.EndpointUserPresence || seen[3].Status != 200 {
		t.Errorf("OnRequest saw %+v", seen)
	}
	mu.Unlock()

	short, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	if err := srv.WaitRequests(short, graphtest.EndpointBatch, 1); err == nil || !strings.Contains(err.Error(), "got 0") {
		t.Errorf("WaitRequests with nothing coming = %v", err)
	}
	srv.ResetRequests()
	if n := srv.Requests(graphtest.EndpointMe); n != 0 || len(srv.Log()) != 0 {
		t.Errorf("after reset: %d requests, %d logged", n, len(srv.Log()))
	}
}

func TestTLS(t *testing.T) {
	srv := newServer(t, graphtest.Options{TLS: true})
	if !strings.HasPrefix(srv.URL(), "https://") || !strings.HasSuffix(srv.URL(), "/v1.0") {
		t.Fatalf("URL = %s", srv.URL())
	}
	if got := call(t, srv, "GET", "/me/presence", "tok", ""); got.status != 200 {
		t.Errorf("over TLS: %d", got.status)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				if i%2 == 0 {
					srv.SetPresence(graphtest.ID(1+j%2), "Busy", fmt.Sprint(j))
					continue
				}
				if got := call(t, srv, "POST", "/communications/getPresencesByUserId", "tok",
					`{"ids":["`+graphtest.ID(1)+`","`+graphtest.ID(2)+`"]}`); got.status != 200 {
					t.Errorf("status %d", got.status)
				}
			}
		})
	}
	wg.Wait()
	if n := srv.Requests(graphtest.EndpointBatch); n != 80 {
		t.Errorf("Requests = %d, want 80", n)
	}
}

func TestMisusePanics(t *testing.T) {
	srv := newServer(t, graphtest.Options{})
	for name, f := range map[string]func(){
		"non-GUID id":   func() { srv.AddUser("alice", "", "") },
		"duplicate id":  func() { srv.AddUser(graphtest.ID(1), "", "") },
		"duplicate UPN": func() { srv.AddUser(graphtest.ID(3), "ADELE@contoso.com", "") },
		"unknown user":  func() { srv.SetPresence(graphtest.ID(9), "Busy", "Busy") },
		"unknown me":    func() { srv.SetMe(graphtest.ID(9)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "graphtest: ") {
					t.Errorf("recovered %v, want a graphtest panic", r)
				}
			}()
			f()
		})
	}
}
