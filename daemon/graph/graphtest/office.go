package graphtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones for getSchedule on machines without zoneinfo (Windows)
)

// Paging limits of GET /groups/{id}/members: Graph pages directory
// collections by 100 unless $top asks for up to 999
// (https://learn.microsoft.com/graph/paging).
const (
	DefaultPageSize = 100
	MaxPageSize     = 999
)

// MaxSchedules is the most addresses the fake accepts in one getSchedule
// request. The v1.0 reference does not state a limit; 20 is the one
// reported for Exchange Online free/busy lookups, and what graph.Client
// sends.
const MaxSchedules = 20

type group struct {
	id, displayName string
	members         []string // lower-cased user ids, in order
}

// AddGroup adds a group whose members are the users with memberIDs (added
// with AddUser, before or after). id must be a GUID.
func (s *Server) AddGroup(id, displayName string, memberIDs ...string) {
	if !isGUID(id) {
		panic(fmt.Sprintf("graphtest: AddGroup: id %q is not a GUID; use graphtest.ID(n)", id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &group{id: id, displayName: displayName}
	for _, m := range memberIDs {
		g.members = append(g.members, strings.ToLower(m))
	}
	s.groups[strings.ToLower(id)] = g
}

// CalendarItem is one event on a user's calendar as free/busy shows it.
type CalendarItem struct {
	// Status is free, tentative, busy, oof, workingElsewhere or unknown.
	Status     string
	Start, End time.Time
	Subject    string
}

// SetCalendar replaces a user's calendar.
func (s *Server) SetCalendar(id string, items ...CalendarItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked("SetCalendar", id)
	s.calendars[strings.ToLower(u.id)] = slices.Clone(items)
}

// groupsLocked serves GET /groups?$filter=displayName eq '…'.
func (s *Server) groupsLocked(r *http.Request, rid string) reply {
	filter := r.URL.Query().Get("$filter")
	name, ok := parseDisplayNameEq(filter)
	if !ok {
		return graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'Group'.", rid)
	}
	var ids []string
	for k, g := range s.groups {
		if strings.EqualFold(g.displayName, name) { // directory string comparisons ignore case
			ids = append(ids, k)
		}
	}
	slices.Sort(ids)
	value := make([]map[string]any, 0, len(ids))
	for _, k := range ids {
		g := s.groups[k]
		value = append(value, map[string]any{"id": g.id, "displayName": g.displayName})
	}
	return jsonReply(map[string]any{
		"@odata.context": s.srv.URL + version + "/$metadata#groups(id,displayName)",
		"value":          value,
	})
}

// parseDisplayNameEq parses displayName eq 'x' (a quote doubled inside).
func parseDisplayNameEq(f string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(f), "displayName eq '")
	if !ok || !strings.HasSuffix(rest, "'") {
		return "", false
	}
	body := rest[:len(rest)-1]
	if strings.Count(strings.ReplaceAll(body, "''", ""), "'") != 0 {
		return "", false
	}
	return strings.ReplaceAll(body, "''", "'"), true
}

// membersLocked serves GET /groups/{id}/members, paged.
func (s *Server) membersLocked(r *http.Request, id, rid string) reply {
	g, ok := s.groups[strings.ToLower(id)]
	if !ok {
		return graphError(http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id), rid)
	}
	q := r.URL.Query()
	top := DefaultPageSize
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			return graphError(http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, MaxPageSize), rid)
		}
		top = n
	}
	skip := 0
	if v := q.Get("$skiptoken"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "X'"))
		if err != nil || n < 0 || n > len(g.members) {
			return graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.", rid)
		}
		skip = n
	}
	end := min(skip+top, len(g.members))
	value := make([]map[string]any, 0, end-skip)
	for _, m := range g.members[skip:end] {
		u, ok := s.users[m]
		if !ok {
			continue // a member deleted since: the directory drops it
		}
		value = append(value, map[string]any{
			"@odata.type":       "#microsoft.graph.user",
			"id":                u.id,
			"displayName":       u.displayName,
			"userPrincipalName": u.upn,
		})
	}
	out := map[string]any{
		"@odata.context": s.srv.URL + version + "/$metadata#directoryObjects",
		"value":          value,
	}
	if end < len(g.members) {
		next := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				next[k] = v
			}
		}
		next.Set("$skiptoken", "X'"+strconv.Itoa(end))
		out["@odata.nextLink"] = s.srv.URL + version + "/groups/" + g.id + "/members?" + next.Encode()
	}
	return jsonReply(out)
}

type dateTimeTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// windowsZones maps the Windows time zone names Exchange uses to IANA
// names, for the zones tests use
// (https://github.com/unicode-org/cldr/blob/main/common/supplemental/windowsZones.xml).
var windowsZones = map[string]string{
	"UTC": "UTC", "GMT Standard Time": "Europe/London", "W. Europe Standard Time": "Europe/Berlin",
	"Romance Standard Time": "Europe/Paris", "Pacific Standard Time": "America/Los_Angeles",
	"Eastern Standard Time": "America/New_York", "Tokyo Standard Time": "Asia/Tokyo",
}

func loadZone(name string) (*time.Location, error) {
	if iana, ok := windowsZones[name]; ok {
		name = iana
	}
	return time.LoadLocation(name)
}

const dateTimeLayout = "2006-01-02T15:04:05.0000000"

func (d dateTimeTimeZone) time() (time.Time, error) {
	loc, err := loadZone(d.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	return time.ParseInLocation("2006-01-02T15:04:05.9999999", d.DateTime, loc)
}

// scheduleLocked serves getSchedule.
func (s *Server) scheduleLocked(r *http.Request, body []byte, rid string) reply {
	var req struct {
		Schedules                []string          `json:"schedules"`
		StartTime                *dateTimeTimeZone `json:"startTime"`
		EndTime                  *dateTimeTimeZone `json:"endTime"`
		AvailabilityViewInterval *int              `json:"availabilityViewInterval"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.StartTime == nil || req.EndTime == nil {
		return graphError(http.StatusBadRequest, "ErrorInvalidRequest", "Invalid request body: want schedules, startTime and endTime.", rid)
	}
	if len(req.Schedules) == 0 || len(req.Schedules) > MaxSchedules {
		return graphError(http.StatusBadRequest, "ErrorInvalidParameter", fmt.Sprintf("schedules must hold 1 to %d addresses; got %d.", MaxSchedules, len(req.Schedules)), rid)
	}
	interval := 30
	if req.AvailabilityViewInterval != nil {
		interval = *req.AvailabilityViewInterval
		if interval < 5 || interval > 1440 {
			return graphError(http.StatusBadRequest, "ErrorInvalidParameter", "availabilityViewInterval must be between 5 and 1440.", rid)
		}
	}
	start, err1 := req.StartTime.time()
	end, err2 := req.EndTime.time()
	if err1 != nil || err2 != nil || !end.After(start) {
		return graphError(http.StatusBadRequest, "ErrorInvalidParameter", "startTime and endTime must be valid dateTimeTimeZone values with endTime after startTime.", rid)
	}
	// Prefer: outlook.timezone="…" picks the zone of the answer; UTC
	// otherwise.
	out := time.UTC
	outName := "UTC"
	if p := r.Header.Get("Prefer"); p != "" {
		if _, v, ok := strings.Cut(p, "outlook.timezone="); ok {
			name := strings.Trim(strings.TrimSpace(strings.Split(v, ",")[0]), `"`)
			if loc, err := loadZone(name); err == nil {
				out, outName = loc, name
			}
		}
	}
	value := make([]map[string]any, 0, len(req.Schedules))
	for _, addr := range req.Schedules {
		uid, ok := s.upns[strings.ToLower(addr)]
		if !ok {
			value = append(value, map[string]any{
				"scheduleId":       addr,
				"availabilityView": "",
				"scheduleItems":    []any{},
				"error": map[string]any{
					"message":      "The specified mailbox could not be found: " + addr,
					"responseCode": "ErrorMailRecipientNotFound",
				},
			})
			continue
		}
		var items []map[string]any
		var view strings.Builder
		cal := s.calendars[uid]
		for slot := start; slot.Before(end); slot = slot.Add(time.Duration(interval) * time.Minute) {
			slotEnd := slot.Add(time.Duration(interval) * time.Minute)
			code := byte('0')
			for _, it := range cal {
				if it.Start.Before(slotEnd) && it.End.After(slot) {
					code = max(code, statusCode(it.Status))
				}
			}
			view.WriteByte(code)
		}
		for _, it := range cal {
			if !(it.Start.Before(end) && it.End.After(start)) {
				continue
			}
			m := map[string]any{
				"isPrivate": false,
				"status":    it.Status,
				"start":     dateTimeTimeZone{DateTime: it.Start.In(out).Format(dateTimeLayout), TimeZone: outName},
				"end":       dateTimeTimeZone{DateTime: it.End.In(out).Format(dateTimeLayout), TimeZone: outName},
			}
			if it.Subject != "" {
				m["subject"] = it.Subject
			}
			items = append(items, m)
		}
		if items == nil {
			items = []map[string]any{}
		}
		value = append(value, map[string]any{
			"scheduleId":       addr,
			"availabilityView": view.String(),
			"scheduleItems":    items,
		})
	}
	return jsonReply(map[string]any{
		"@odata.context": s.srv.URL + version + "/$metadata#Collection(microsoft.graph.scheduleInformation)",
		"value":          value,
	})
}

// statusCode is the availabilityView digit for a status; a higher digit
// wins a slot where items overlap, except that working elsewhere (4) counts
// as free there.
func statusCode(status string) byte {
	switch strings.ToLower(status) {
	case "tentative":
		return '1'
	case "busy":
		return '2'
	case "oof":
		return '3'
	}
	return '0'
}
