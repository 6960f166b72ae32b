package graph_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
	"github.com/onair-dev/onair/mapping"
)

// newFake starts a fake Graph with n users, ID(1)…ID(n); user i is Busy /
// InACall when i is even and Available / Available otherwise. User 1 is me.
func newFake(t *testing.T, n int) *graphtest.Server {
	t.Helper()
	srv := graphtest.NewServer(graphtest.Options{})
	t.Cleanup(srv.Close)
	for i := 1; i <= n; i++ {
		id := graphtest.ID(i)
		srv.AddUser(id, fmt.Sprintf("user%d@contoso.com", i), fmt.Sprintf("User %d", i))
		if i%2 == 0 {
			srv.SetPresence(id, "Busy", "InACall")
		} else {
			srv.SetPresence(id, "available", "available")
		}
	}
	return srv
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = graphtest.ID(i + 1)
	}
	return out
}

func TestUsersBatching(t *testing.T) {
	tests := []struct {
		users, batchSize int
		wantRequests     int
		wantIDs          []int // ids per request
	}{
		{users: 1, wantRequests: 1, wantIDs: []int{1}},
		{users: 650, wantRequests: 1, wantIDs: []int{650}},
		{users: 651, wantRequests: 2, wantIDs: []int{650, 1}},
		{users: 1000, wantRequests: 2, wantIDs: []int{650, 350}},
		{users: 1000, batchSize: 300, wantRequests: 4, wantIDs: []int{300, 300, 300, 100}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d users batch %d", tt.users, tt.batchSize), func(t *testing.T) {
			srv := newFake(t, tt.users)
			c := newClient(t, srv.URL(), graph.Options{BatchSize: tt.batchSize})
			want := ids(tt.users)
			// Two polls: the count is per poll, and nothing is cached.
			for poll := 1; poll <= 2; poll++ {
				got, err := c.Users(t.Context(), want)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != tt.users {
					t.Fatalf("poll %d: %d presences, want %d", poll, len(got), tt.users)
				}
				for i, p := range got {
					wantAvail, wantAct := mapping.AvailabilityAvailable, mapping.ActivityAvailable
					if (i+1)%2 == 0 {
						wantAvail, wantAct = mapping.AvailabilityBusy, mapping.ActivityInACall
					}
					if p.User != want[i] || p.Availability != wantAvail || p.Activity != wantAct || p.Sequence == "" {
						t.Fatalf("presence %d = %+v, want user %s %s/%s with a sequence", i, p, want[i], wantAvail, wantAct)
					}
				}
				if n := srv.Requests(graphtest.EndpointBatch); n != poll*tt.wantRequests {
					t.Errorf("after poll %d: %d batch requests, want %d", poll, n, poll*tt.wantRequests)
				}
			}
			var gotIDs []int
			for _, r := range srv.Log()[:tt.wantRequests] {
				gotIDs = append(gotIDs, r.IDs)
			}
			if diff := cmp.Diff(tt.wantIDs, gotIDs); diff != "" {
				t.Errorf("ids per request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsersLaterBatchFails(t *testing.T) {
	// The first batch request injects a throttle for the next one, so the
	// second batch of the same poll fails.
	var srv *graphtest.Server
	var once sync.Once
	srv = graphtest.NewServer(graphtest.Options{OnRequest: func(r graphtest.Request) {
		if r.Endpoint == graphtest.EndpointBatch {
			once.Do(func() {
				srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Throttle, Endpoint: graphtest.EndpointBatch, RetryAfter: "7"})
			})
		}
	}})
	t.Cleanup(srv.Close)
	for i := 1; i <= 700; i++ {
		srv.AddUser(graphtest.ID(i), "", "")
	}
	c := newClient(t, srv.URL(), graph.Options{})
	got, err := c.Users(t.Context(), ids(700))
	throttled(429, 7*time.Second)(t, err)
	if len(got) != 650 || got[0].User != graphtest.ID(1) || got[649].User != graphtest.ID(650) {
		t.Errorf("got %d presences with the error, want the first batch's 650", len(got))
	}
	if n := srv.Requests(graphtest.EndpointBatch); n != 2 {
		t.Errorf("%d batch requests, want 2", n)
	}
	// A poll that fails on its first batch returns nothing and stops.
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.ServerError, Endpoint: graphtest.EndpointBatch})
	got, err = c.Users(t.Context(), ids(700))
	transient(500)(t, err)
	if len(got) != 0 {
		t.Errorf("got %d presences, want none", len(got))
	}
	if n := srv.Requests(graphtest.EndpointBatch); n != 3 {
		t.Errorf("%d batch requests, want 3 (no second batch after a failure)", n)
	}
}

func TestResolveUserOnce(t *testing.T) {
	srv := newFake(t, 3)
	c := newClient(t, srv.URL(), graph.Options{})

	// An object ID passes through without a request.
	id, err := c.ResolveUser(t.Context(), graphtest.ID(2))
	if err != nil || id != graphtest.ID(2) {
		t.Fatalf("ResolveUser(GUID) = %q, %v", id, err)
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 0 {
		t.Fatalf("%d lookups for a GUID, want 0", n)
	}

	// A UPN is looked up once, case-insensitively, even when asked for
	// concurrently.
	var wg sync.WaitGroup
	for _, upn := range []string{"user3@contoso.com", "User3@Contoso.com", "user3@contoso.com", "USER3@CONTOSO.COM"} {
		wg.Go(func() {
			id, err := c.ResolveUser(t.Context(), upn)
			if err != nil || id != graphtest.ID(3) {
				t.Errorf("ResolveUser(%s) = %q, %v; want %s", upn, id, err, graphtest.ID(3))
			}
		})
	}
	wg.Wait()
	if n := srv.Requests(graphtest.EndpointUser); n != 1 {
		t.Errorf("%d lookups, want exactly 1", n)
	}
	info, err := c.LookupUser(t.Context(), "user3@contoso.com")
	want := graph.UserInfo{ID: graphtest.ID(3), UserPrincipalName: "user3@contoso.com", DisplayName: "User 3"}
	if err != nil || info != want {
		t.Errorf("LookupUser = %+v, %v; want %+v", info, err, want)
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 1 {
		t.Errorf("%d lookups after a cached LookupUser, want 1", n)
	}

	// A failure is not cached.
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Unavailable, Endpoint: graphtest.EndpointUser, RetryAfter: "1"})
	if _, err := c.ResolveUser(t.Context(), "user1@contoso.com"); !errors.Is(err, graph.ErrThrottled) {
		t.Fatalf("ResolveUser during 503 = %v, want throttled", err)
	}
	if id, err := c.ResolveUser(t.Context(), "user1@contoso.com"); err != nil || id != graphtest.ID(1) {
		t.Fatalf("ResolveUser after 503 = %q, %v", id, err)
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 3 {
		t.Errorf("%d lookups, want 3", n)
	}

	// Unknown UPN.
	_, err = c.ResolveUser(t.Context(), "nobody@contoso.com")
	is(graph.ErrUserNotFound)(t, err)
	// Guest UPNs carry '#', which must be escaped in the path.
	srv.AddUser(graphtest.ID(99), "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com", "Guest")
	if id, err := c.ResolveUser(t.Context(), "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com"); err != nil || id != graphtest.ID(99) {
		t.Errorf("ResolveUser(guest) = %q, %v", id, err)
	}
}

// TestSequence checks that an out-of-order response is recognisable with
// mapping.Presence.Newer, as the daemon uses it.
func TestSequence(t *testing.T) {
	srv := newFake(t, 2)
	c := newClient(t, srv.URL(), graph.Options{})
	var last mapping.Presence
	apply := func(p mapping.Presence) bool {
		if !p.Newer(last) {
			return false
		}
		last = p
		return true
	}

	srv.SetPresence(graphtest.ID(1), "Busy", "InAMeeting")
	p1, err := c.Me(t.Context())
	if err != nil || !apply(p1) || p1.Activity != mapping.ActivityInAMeeting {
		t.Fatalf("first poll %+v, %v", p1, err)
	}
	srv.SetPresence(graphtest.ID(1), "Available", "Available")
	p2, err := c.Me(t.Context())
	if err != nil || !apply(p2) || p2.Availability != mapping.AvailabilityAvailable {
		t.Fatalf("second poll %+v, %v", p2, err)
	}
	if p2.Sequence <= p1.Sequence {
		t.Errorf("sequence did not grow: %q then %q", p1.Sequence, p2.Sequence)
	}

	// A stale response (the previous presence) is dropped.
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.StaleSequence})
	stale, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stale.Activity != mapping.ActivityInAMeeting || stale.Sequence != p1.Sequence {
		t.Errorf("stale response %+v, want the first presence again", stale)
	}
	if apply(stale) {
		t.Errorf("stale presence %q replaced %q", stale.Sequence, p2.Sequence)
	}
	if last.Availability != mapping.AvailabilityAvailable {
		t.Errorf("state after stale response = %+v, want Available kept", last)
	}

	// The same presence again refreshes, a newer one replaces.
	same, err := c.Me(t.Context())
	if err != nil || !apply(same) {
		t.Errorf("re-delivered presence not applied: %+v, %v", same, err)
	}
	srv.SetStatusMessage(graphtest.ID(1), "Back at 3")
	p3, err := c.Me(t.Context())
	if err != nil || !apply(p3) || p3.StatusMessage != "Back at 3" {
		t.Errorf("third poll %+v, %v", p3, err)
	}

	// In a batch, too.
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.StaleSequence, Endpoint: graphtest.EndpointBatch})
	fresh := srv.Sequence(graphtest.ID(2))
	got, err := c.Users(t.Context(), []string{graphtest.ID(2)})
	if err != nil || len(got) != 1 {
		t.Fatalf("Users = %v, %v", got, err)
	}
	if got[0].Newer(mapping.Presence{Sequence: fresh}) {
		t.Errorf("stale batch sequence %q not older than %q", got[0].Sequence, fresh)
	}
}

// TestFaultsThroughClient runs each fault kind of the fake through the
// client and checks the error a daemon would branch on.
func TestFaultsThroughClient(t *testing.T) {
	tests := []struct {
		fault graphtest.Fault
		check errCheck
	}{
		{graphtest.Fault{Kind: graphtest.Throttle, RetryAfter: "7"}, throttled(429, 7*time.Second)},
		{graphtest.Fault{Kind: graphtest.Throttle}, throttled(429, 0)},
		{graphtest.Fault{Kind: graphtest.Throttle, RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"}, throttled(429, 0)},
		{graphtest.Fault{Kind: graphtest.Unavailable, RetryAfter: "30"}, throttled(503, 30*time.Second)},
		{graphtest.Fault{Kind: graphtest.ServerError}, transient(500)},
		{graphtest.Fault{Kind: graphtest.ServerError, Status: 504}, transient(504)},
		{graphtest.Fault{Kind: graphtest.Unauthorized}, apiCode(401, "InvalidAuthenticationToken", "")},
		{graphtest.Fault{Kind: graphtest.Malformed}, is(graph.ErrMalformed)},
		{graphtest.Fault{Kind: graphtest.Malformed, Body: `{"id":"x","availability":["Busy"]}`}, contains("availability is a JSON array")},
		{graphtest.Fault{Kind: graphtest.Truncated}, contains("truncated JSON")},
		{graphtest.Fault{Kind: graphtest.WrongContentType}, contains(`content type "text/html; charset=utf-8"`)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s%d", tt.fault.Kind, tt.fault.RetryAfter, tt.fault.Status), func(t *testing.T) {
			srv := newFake(t, 1)
			c := newClient(t, srv.URL(), graph.Options{})
			srv.InjectFault(2, tt.fault)
			for i := range 2 {
				_, err := c.Me(t.Context())
				if err == nil {
					t.Fatalf("request %d succeeded during the fault", i)
				}
				tt.check(t, err)
			}
			// Then Graph recovers.
			if p, err := c.Me(t.Context()); err != nil || p.Availability != mapping.AvailabilityAvailable {
				t.Fatalf("after the fault: %+v, %v", p, err)
			}
			if n := srv.Requests(graphtest.EndpointMe); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
		})
	}
}

func TestFakeAuthThroughClient(t *testing.T) {
	srv := newFake(t, 2)
	srv.AddToken("good", graphtest.ScopePresenceRead)
	c := newClient(t, srv.URL(), graph.Options{Tokens: staticTokens{token: "good"}})
	if _, err := c.Me(t.Context()); err != nil {
		t.Fatalf("Me with Presence.Read: %v", err)
	}
	_, err := c.Users(t.Context(), []string{graphtest.ID(2)})
	forbidden(graph.PermissionPresenceReadAll)(t, err)

	bad := newClient(t, srv.URL(), graph.Options{Tokens: staticTokens{token: "bad"}})
	_, err = bad.Me(t.Context())
	is(graph.ErrUnauthorized)(t, err)
	apiCode(401, "InvalidAuthenticationToken", "")(t, err)
}

// BenchmarkUsers1000 is one poll of 1,000 users against the fake over
// loopback HTTP: two batch requests, the fake's encoding included. It bounds
// from above what the client adds to a poll cycle.
func BenchmarkUsers1000(b *testing.B) {
	srv := graphtest.NewServer(graphtest.Options{})
	b.Cleanup(srv.Close)
	for i := 1; i <= 1000; i++ {
		srv.AddUser(graphtest.ID(i), "", "")
		srv.SetPresence(graphtest.ID(i), "Busy", "InAMeeting")
	}
	c, err := graph.New(graph.Options{BaseURL: srv.URL(), Tokens: staticTokens{token: "t"}})
	if err != nil {
		b.Fatal(err)
	}
	want := ids(1000)
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.Users(b.Context(), want)
		if err != nil || len(got) != 1000 {
			b.Fatalf("Users = %d, %v", len(got), err)
		}
	}
}

// A batch whose answer is byte-identical to its last one (nobody in it
// changed) is not decoded again, but it must still read as fresh: the same
// presences, observed now. A change in one batch shows, whatever the other
// batch does.
func TestUsersUnchangedBatch(t *testing.T) {
	srv := newFake(t, 700) // two batches: 650 and 50
	c := newClient(t, srv.URL(), graph.Options{})
	want := ids(700)
	first, err := c.Users(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := c.Users(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != len(first) {
		t.Fatalf("unchanged poll: %d presences, want %d", len(second), len(first))
	}
	for i := range second {
		if second[i].Time.Before(start) {
			t.Fatalf("unchanged poll: presence %d observed at %v, before the poll began (%v)", i, second[i].Time, start)
		}
		a, b := first[i], second[i]
		a.Time, b.Time = time.Time{}, time.Time{}
		if a != b {
			t.Fatalf("unchanged poll: presence %d = %+v, want %+v", i, b, a)
		}
	}

	// User 3 (first batch) and user 700 (second batch) change, one at a time.
	for _, u := range []int{3, 700} {
		srv.SetPresence(graphtest.ID(u), "DoNotDisturb", "Presenting")
		got, err := c.Users(t.Context(), want)
		if err != nil {
			t.Fatal(err)
		}
		p := got[u-1]
		if p.User != graphtest.ID(u) || p.Availability != mapping.AvailabilityDoNotDisturb || p.Activity != mapping.ActivityPresenting || p.Sequence != srv.Sequence(graphtest.ID(u)) {
			t.Errorf("after user %d changed: %+v, want DoNotDisturb/Presenting at sequence %s", u, p, srv.Sequence(graphtest.ID(u)))
		}
		if got[0] != (mapping.Presence{User: want[0], Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable, Sequence: first[0].Sequence, Time: got[0].Time}) {
			t.Errorf("after user %d changed, user 1 = %+v, want unchanged", u, got[0])
		}
	}
	if n := srv.Requests(graphtest.EndpointBatch); n != 8 {
		t.Errorf("%d batch requests, want 8: every poll asks Graph", n)
	}
}

// Users reuses its last request only for the same ids: another list is
// deduplicated, checked and encoded afresh.
func TestUsersOtherIDsOtherRequest(t *testing.T) {
	srv := newFake(t, 700)
	c := newClient(t, srv.URL(), graph.Options{})
	if got, err := c.Users(t.Context(), ids(700)); err != nil || len(got) != 700 {
		t.Fatalf("700 ids: %d presences, %v", len(got), err)
	}
	few := []string{graphtest.ID(5), graphtest.ID(2), strings.ToUpper(graphtest.ID(5))}
	got, err := c.Users(t.Context(), few)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].User != graphtest.ID(5) || got[1].User != graphtest.ID(2) {
		t.Errorf("after a different list: %+v, want users 5 and 2 once each, in that order", got)
	}
	if _, err := c.Users(t.Context(), []string{graphtest.ID(1), "adele@contoso.com"}); err == nil || !strings.Contains(err.Error(), "not an object ID") {
		t.Errorf("a list with a UPN = %v, want the object-ID error", err)
	}
	if got, err := c.Users(t.Context(), ids(700)); err != nil || len(got) != 700 {
		t.Errorf("700 ids again: %d presences, %v", len(got), err)
	}
}

// AppendUsers appends after what dst holds and, handed its last answer
// back, fills the same array: the same presences as Users, no new one.
func TestAppendUsersReusesDst(t *testing.T) {
	srv := newFake(t, 700)
	c := newClient(t, srv.URL(), graph.Options{})
	want := ids(700)
	first, err := c.Users(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	mine := mapping.Presence{User: "me"}
	got, err := c.AppendUsers(t.Context(), []mapping.Presence{mine}, want)
	if err != nil || len(got) != 701 || got[0] != mine {
		t.Fatalf("AppendUsers after one = %d presences (first %+v), %v", len(got), got[0], err)
	}
	again, err := c.AppendUsers(t.Context(), got[:1], want)
	if err != nil || &again[0] != &got[0] || len(again) != 701 {
		t.Fatalf("handed its answer back: %d presences, same array %v, %v", len(again), &again[0] == &got[0], err)
	}
	for i, p := range again[1:] {
		p.Time, first[i].Time = time.Time{}, time.Time{}
		if p != first[i] {
			t.Fatalf("presence %d = %+v, Users gave %+v", i, p, first[i])
		}
	}
}
