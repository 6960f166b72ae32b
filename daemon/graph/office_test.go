package graph_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

var appRoles = []string{"Presence.Read.All", "User.ReadBasic.All", "GroupMember.Read.All", "Calendars.ReadBasic"}

// newAppClient is a Client in app-only mode against srv, with an app-only
// token that has roles.
func newAppClient(t *testing.T, srv *graphtest.Server, opts graph.Options, roles ...string) *graph.Client {
	t.Helper()
	srv.AddAppToken("app-token", roles...)
	opts.AppOnly = true
	opts.Tokens = staticTokens{token: "app-token"}
	return newClient(t, srv.URL(), opts)
}

func TestAppOnlyNeverCallsMe(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 3)
	c := newAppClient(t, srv, graph.Options{}, appRoles...)
	if _, err := c.Me(t.Context()); !errors.Is(err, graph.ErrAppOnly) {
		t.Fatalf("Me in app-only mode = %v, want ErrAppOnly", err)
	}
	if _, err := c.Users(t.Context(), ids(3)); err != nil {
		t.Fatalf("Users: %v", err)
	}
	if _, err := c.GetSchedule(t.Context(), []string{"user1@contoso.com", "user2@contoso.com"}, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("GetSchedule: %v", err)
	}
	if n := srv.Requests(graphtest.EndpointMe) + srv.Requests(graphtest.EndpointMeSchedule); n != 0 {
		t.Errorf("app-only client made %d /me requests, want 0", n)
	}
	if n := srv.Requests(graphtest.EndpointSchedule); n != 1 {
		t.Errorf("getSchedule requests via /users/{id} = %d, want 1", n)
	}

	// Had it called /me, Graph's documented answer: 400 BadRequest.
	delegated := newClient(t, srv.URL(), graph.Options{Tokens: staticTokens{token: "app-token"}})
	_, err := delegated.Me(t.Context())
	var ae *graph.APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "BadRequest" ||
		ae.Message != "/me request is only valid with delegated authentication flow." {
		t.Errorf("/me with an app-only token = %v, want Graph's 400 BadRequest", err)
	}
}

func TestAppOnlyForbiddenNamesApplicationPermission(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 1)
	c := newAppClient(t, srv, graph.Options{}, "Presence.Read.All") // no GroupMember.Read.All
	srv.AddGroup(graphtest.ID(900), "Office", graphtest.ID(1))
	_, err := c.GroupMembers(t.Context(), graphtest.ID(900))
	var fe *graph.ForbiddenError
	if !errors.As(err, &fe) || fe.Permission != "GroupMember.Read.All" || !strings.Contains(fe.Remedy, "application permission") {
		t.Fatalf("GroupMembers without permission = %v, want *ForbiddenError naming the GroupMember.Read.All application permission", err)
	}
}

// A 1,500-person office: the group resolves by name through paging, and
// presence for 1,501 ids (the group plus one) takes three batch requests.
func TestLargeGroupAndPresenceBatches(t *testing.T) {
	t.Parallel()
	const n = 1501
	srv := newFake(t, n)
	members := ids(n)[:1500]
	srv.AddGroup(graphtest.ID(100000), "Floor 3 – Kitchen's side", members...)
	srv.AddGroup(graphtest.ID(100001), "Other", graphtest.ID(1))
	c := newAppClient(t, srv, graph.Options{}, appRoles...)

	got, err := c.GroupMembers(t.Context(), "floor 3 – kitchen's side")
	if err != nil {
		t.Fatalf("GroupMembers: %v", err)
	}
	if len(got) != 1500 || got[0].ID != members[0] || got[1499].ID != members[1499] ||
		got[0].UserPrincipalName != "user1@contoso.com" || got[0].DisplayName != "User 1" {
		t.Fatalf("GroupMembers = %d users (first %+v), want 1500 in order with UPN and display name", len(got), got[0])
	}
	if g, m := srv.Requests(graphtest.EndpointGroups), srv.Requests(graphtest.EndpointGroupMembers); g != 1 || m != 2 {
		t.Errorf("requests: groups %d, members %d; want 1 and 2 (pages of 999)", g, m)
	}

	srv.ResetRequests()
	ps, err := c.Users(t.Context(), ids(n))
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	if len(ps) != n {
		t.Errorf("Users returned %d presences, want %d", len(ps), n)
	}
	var sizes []int
	for _, r := range srv.Log() {
		sizes = append(sizes, r.IDs)
	}
	if fmt.Sprint(sizes) != "[650 650 201]" {
		t.Errorf("batch sizes = %v, want [650 650 201]", sizes)
	}
}

func TestGroupNotFound(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 2)
	srv.AddGroup(graphtest.ID(901), "Twins", graphtest.ID(1))
	srv.AddGroup(graphtest.ID(902), "twins", graphtest.ID(2))
	c := newAppClient(t, srv, graph.Options{}, appRoles...)
	for _, tc := range []struct {
		group   string
		matches int
	}{{"Nobody", 0}, {"Twins", 2}, {graphtest.ID(999), 0}} {
		_, err := c.GroupMembers(t.Context(), tc.group)
		var ge *graph.GroupNotFoundError
		if !errors.Is(err, graph.ErrGroupNotFound) || !errors.As(err, &ge) || ge.Matches != tc.matches {
			t.Errorf("GroupMembers(%q) = %v, want *GroupNotFoundError with %d matches", tc.group, err, tc.matches)
		}
	}
}

func TestGetScheduleFromFake(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 25)
	c := newAppClient(t, srv, graph.Options{}, appRoles...)
	now := time.Date(2026, 12, 1, 10, 15, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	srv.SetCalendar(graphtest.ID(1),
		graphtest.CalendarItem{Status: "busy", Start: at(10, 0), End: at(11, 0), Subject: "Standup"},
		graphtest.CalendarItem{Status: "tentative", Start: at(11, 0), End: at(11, 30)}, // back to back: one block
		graphtest.CalendarItem{Status: "free", Start: at(12, 0), End: at(13, 0)},
		graphtest.CalendarItem{Status: "workingElsewhere", Start: at(13, 0), End: at(14, 0)},
		graphtest.CalendarItem{Status: "oof", Start: at(14, 0), End: at(18, 0)},
	)
	srv.SetCalendar(graphtest.ID(2), graphtest.CalendarItem{Status: "busy", Start: at(16, 0), End: at(17, 0)})

	users := []string{"missing@contoso.com"}
	for i := 1; i <= 25; i++ {
		users = append(users, fmt.Sprintf("user%d@contoso.com", i))
	}
	got, err := c.GetSchedule(t.Context(), users, now, now.Add(8*time.Hour))
	if err != nil {
		t.Fatalf("GetSchedule: %v", err)
	}
	if n := srv.Requests(graphtest.EndpointSchedule); n != 3 {
		t.Errorf("getSchedule requests = %d, want 3 for 26 users (2 batches, and one 404 through the missing user's mailbox)", n)
	}
	u1 := got["user1@contoso.com"]
	if !u1.Busy() || !u1.BusyUntil.Equal(at(11, 30)) || !u1.NextBusy.Equal(at(14, 0)) || u1.Err != nil {
		t.Errorf("user1 = %+v, want busy until 11:30 (busy + tentative merged), next busy 14:00 (oof)", u1)
	}
	u2 := got["user2@contoso.com"]
	if u2.Busy() || !u2.NextBusy.Equal(at(16, 0)) {
		t.Errorf("user2 = %+v, want free, next busy 16:00", u2)
	}
	if u3 := got["user3@contoso.com"]; u3.Busy() || !u3.NextBusy.IsZero() || u3.Err != nil {
		t.Errorf("user3 = %+v, want free all window", u3)
	}
	var se *graph.ScheduleError
	if m := got["missing@contoso.com"]; !errors.As(m.Err, &se) || se.ResponseCode != "ErrorMailRecipientNotFound" {
		t.Errorf("missing user = %+v, want a per-schedule ErrorMailRecipientNotFound", m)
	}
	if len(got) != 26 {
		t.Errorf("got %d schedules, want 26", len(got))
	}
}

// An unknown user (typo, leaver) costs one lookup per TTL, not one per
// poll, and the same error value comes back so a caller warns once.
func TestUnknownUserRemembered(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 1)
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c := newClient(t, srv.URL(), graph.Options{Now: clock})

	_, first := c.ResolveUser(t.Context(), "tpyo@contoso.com")
	var nf *graph.NotFoundError
	if !errors.As(first, &nf) || !nf.Until.Equal(now.Add(time.Hour)) {
		t.Fatalf("ResolveUser = %v, want *NotFoundError remembered for 1 h", first)
	}
	for range 100 { // a poll every few seconds for most of an hour
		if _, err := c.ResolveUser(t.Context(), "TPYO@contoso.com"); err != first {
			t.Fatalf("cached lookup = %v, want the same error value", err)
		}
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 1 {
		t.Errorf("user lookups within the hour = %d, want 1", n)
	}
	mu.Lock()
	now = now.Add(time.Hour + time.Second)
	mu.Unlock()
	srv.AddUser(graphtest.ID(50), "tpyo@contoso.com", "New Hire") // the user exists now
	id, err := c.ResolveUser(t.Context(), "tpyo@contoso.com")
	if err != nil || id != graphtest.ID(50) {
		t.Fatalf("after the TTL: ResolveUser = %q, %v; want the new user", id, err)
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 2 {
		t.Errorf("user lookups = %d, want 2", n)
	}

	// ForgetUser asks again at once; a negative TTL remembers nothing.
	c2 := newClient(t, srv.URL(), graph.Options{UnknownUserTTL: -1})
	srv.ResetRequests()
	for range 3 {
		_, _ = c2.ResolveUser(t.Context(), "gone@contoso.com")
	}
	if n := srv.Requests(graphtest.EndpointUser); n != 3 {
		t.Errorf("with UnknownUserTTL < 0: lookups = %d, want 3", n)
	}
	c.ForgetUser("tpyo@contoso.com")
	_, _ = c.ResolveUser(t.Context(), "tpyo@contoso.com")
	if n := srv.Requests(graphtest.EndpointUser); n != 4 {
		t.Errorf("after ForgetUser: lookups = %d, want 4", n)
	}
}

func TestRetryAfterCapped(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 1)
	c := newClient(t, srv.URL(), graph.Options{})
	srv.InjectFault(1, graphtest.Fault{Kind: graphtest.Throttle, RetryAfter: "7200"})
	_, err := c.Users(t.Context(), ids(1))
	var te *graph.ThrottledError
	if !errors.As(err, &te) || te.RetryAfter != time.Hour || te.Requested != 2*time.Hour {
		t.Fatalf("err = %v, want RetryAfter 1h, Requested 2h", err)
	}
	if !strings.Contains(err.Error(), "capped") {
		t.Errorf("error %q does not say the value was capped", err)
	}
}

// In app-only mode getSchedule goes through a mailbox in the path; an
// unknown first address costs one extra request, once.
func TestGetScheduleAnchorSkipsUnknownMailbox(t *testing.T) {
	t.Parallel()
	srv := newFake(t, 2)
	c := newAppClient(t, srv, graph.Options{}, appRoles...)
	users := []string{"leaver@contoso.com", "user1@contoso.com", "user2@contoso.com"}
	for range 3 {
		got, err := c.GetSchedule(t.Context(), users, time.Now(), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatalf("GetSchedule: %v", err)
		}
		if got["leaver@contoso.com"].Err == nil || got["user1@contoso.com"].Err != nil {
			t.Fatalf("schedules = %+v", got)
		}
	}
	if n := srv.Requests(graphtest.EndpointSchedule); n != 4 {
		t.Errorf("getSchedule requests for 3 polls = %d, want 4 (one 404 on the leaver's mailbox, then the remembered one)", n)
	}
}
