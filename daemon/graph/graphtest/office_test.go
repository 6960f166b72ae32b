package graphtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

func TestAppTokenRefusedOnMe(t *testing.T) {
	t.Parallel()
	srv := newServer(t, graphtest.Options{})
	srv.AddAppToken("app", "Presence.Read.All", "Calendars.ReadBasic")
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/me/presence", ""},
		{http.MethodPost, "/me/calendar/getSchedule", `{"schedules":["bob@contoso.com"],"startTime":{"dateTime":"2026-01-01T00:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2026-01-01T01:00:00","timeZone":"UTC"}}`},
	} {
		r := call(t, srv, tc.method, tc.path, "app", tc.body)
		e, _ := r.json["error"].(map[string]any)
		if r.status != http.StatusBadRequest || r.errorCode() != "BadRequest" || e["message"] != "/me request is only valid with delegated authentication flow." {
			t.Errorf("%s %s with an app token: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}
	if r := call(t, srv, http.MethodGet, "/users/"+graphtest.ID(2)+"/presence", "app", ""); r.status != http.StatusOK {
		t.Errorf("/users/{id}/presence with an app token: %d %s", r.status, r.raw)
	}
	// Roles are checked like scopes: no GroupMember.Read.All, no groups.
	if r := call(t, srv, http.MethodGet, "/groups?$filter="+url.QueryEscape("displayName eq 'x'"), "app", ""); r.status != http.StatusForbidden {
		t.Errorf("groups without GroupMember.Read.All: %d", r.status)
	}
}

func TestGroupMembersPaging(t *testing.T) {
	t.Parallel()
	srv := graphtest.NewServer(graphtest.Options{})
	t.Cleanup(srv.Close)
	var members []string
	for i := 1; i <= 250; i++ {
		srv.AddUser(graphtest.ID(i), fmt.Sprintf("u%d@contoso.com", i), fmt.Sprintf("U %d", i))
		members = append(members, graphtest.ID(i))
	}
	gid := graphtest.ID(5000)
	srv.AddGroup(gid, "O'Brien's team", members...)
	srv.AddAppToken("app", "GroupMember.Read.All")

	r := call(t, srv, http.MethodGet, "/groups?$filter="+url.QueryEscape("displayName eq 'o''brien''s team'"), "app", "")
	if v, _ := r.json["value"].([]any); r.status != 200 || len(v) != 1 || v[0].(map[string]any)["id"] != gid {
		t.Fatalf("groups by displayName: %d %s", r.status, r.raw)
	}
	if r := call(t, srv, http.MethodGet, "/groups?$filter="+url.QueryEscape("startswith(displayName,'O')"), "app", ""); r.status != http.StatusBadRequest {
		t.Errorf("unsupported filter: %d", r.status)
	}

	// Default pages of 100, then nextLink to the end.
	path, total, pages := "/groups/"+gid+"/members", 0, 0
	for path != "" {
		r := call(t, srv, http.MethodGet, path, "app", "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		v, _ := r.json["value"].([]any)
		pages++
		total += len(v)
		if pages == 1 && len(v) != graphtest.DefaultPageSize {
			t.Errorf("first page has %d members, want %d", len(v), graphtest.DefaultPageSize)
		}
		next, _ := r.json["@odata.nextLink"].(string)
		path = strings.TrimPrefix(next, srv.URL())
	}
	if total != 250 || pages != 3 {
		t.Errorf("paged %d members in %d pages, want 250 in 3", total, pages)
	}
	if r := call(t, srv, http.MethodGet, "/groups/"+gid+"/members?$top=999", "app", ""); len(r.json["value"].([]any)) != 250 || r.json["@odata.nextLink"] != nil {
		t.Errorf("$top=999: %d members, nextLink %v", len(r.json["value"].([]any)), r.json["@odata.nextLink"])
	}
	if r := call(t, srv, http.MethodGet, "/groups/"+gid+"/members?$top=1000", "app", ""); r.status != http.StatusBadRequest {
		t.Errorf("$top=1000: %d, want 400", r.status)
	}
	if r := call(t, srv, http.MethodGet, "/groups/"+graphtest.ID(4999)+"/members", "app", ""); r.status != http.StatusNotFound {
		t.Errorf("unknown group: %d, want 404", r.status)
	}
}

func TestGetScheduleShape(t *testing.T) {
	t.Parallel()
	srv := newServer(t, graphtest.Options{})
	srv.AddAppToken("app", "Calendars.ReadBasic")
	at := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.UTC) }
	srv.SetCalendar(graphtest.ID(1),
		graphtest.CalendarItem{Status: "busy", Start: at(9, 0), End: at(9, 30)},
		graphtest.CalendarItem{Status: "tentative", Start: at(10, 0), End: at(10, 30)},
		graphtest.CalendarItem{Status: "oof", Start: at(10, 15), End: at(11, 0)},
	)
	body := `{"schedules":["adele@contoso.com","ghost@contoso.com"],
		"startTime":{"dateTime":"2026-12-01T10:00:00","timeZone":"W. Europe Standard Time"},
		"endTime":{"dateTime":"2026-12-01T12:00:00","timeZone":"Europe/Berlin"},
		"availabilityViewInterval":30}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL()+"/users/adele@contoso.com/calendar/getSchedule", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer app")
	req.Header.Set("Prefer", `outlook.timezone="Pacific Standard Time"`)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Value []struct {
			ScheduleID       string `json:"scheduleId"`
			AvailabilityView string `json:"availabilityView"`
			ScheduleItems    []struct {
				Status string `json:"status"`
				Start  struct{ DateTime, TimeZone string }
			} `json:"scheduleItems"`
			Error *struct{ Message, ResponseCode string } `json:"error"`
		} `json:"value"`
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := jsonDecode(resp, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Value) != 2 {
		t.Fatalf("value has %d entries, want 2", len(got.Value))
	}
	a := got.Value[0]
	// 10:00–12:00 Berlin = 09:00–11:00 UTC in 30-minute slots:
	// busy, free, tentative+oof → oof, oof.
	if a.ScheduleID != "adele@contoso.com" || a.AvailabilityView != "2033" {
		t.Errorf("adele: id %q view %q, want 2033", a.ScheduleID, a.AvailabilityView)
	}
	if len(a.ScheduleItems) != 3 || a.ScheduleItems[0].Start.DateTime != "2026-12-01T01:00:00.0000000" || a.ScheduleItems[0].Start.TimeZone != "Pacific Standard Time" {
		t.Errorf("items = %+v, want times in the Prefer zone", a.ScheduleItems)
	}
	if g := got.Value[1]; g.Error == nil || g.Error.ResponseCode != "ErrorMailRecipientNotFound" {
		t.Errorf("ghost = %+v, want a per-schedule error", g)
	}
	for _, bad := range []string{
		`{"schedules":[],"startTime":{"dateTime":"2026-12-01T10:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2026-12-01T11:00:00","timeZone":"UTC"}}`,
		`{"schedules":["a"],"startTime":{"dateTime":"2026-12-01T10:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2026-12-01T11:00:00","timeZone":"UTC"},"availabilityViewInterval":4}`,
		`{"schedules":["a"],"startTime":{"dateTime":"2026-12-01T10:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2026-12-01T09:00:00","timeZone":"UTC"}}`,
	} {
		if r := call(t, srv, http.MethodPost, "/users/adele@contoso.com/calendar/getSchedule", "app", bad); r.status != http.StatusBadRequest {
			t.Errorf("bad body %s: %d, want 400", bad, r.status)
		}
	}
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
