package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// memberPageSize is the $top of member requests: Graph's largest page for
// directory collections (https://learn.microsoft.com/graph/paging), so a
// 1,500-person office is two requests instead of fifteen at the default 100.
const memberPageSize = 999

// maxMemberPages bounds the nextLink chain, so a server that always answers
// with a nextLink cannot keep the client busy forever: 1,000 pages of 999
// is far beyond any group a door sign shows.
const maxMemberPages = 1000

// GroupMembers returns the users in a group, given its object ID or its
// display name (GET /groups?$filter=displayName eq '…', matched exactly and,
// as Graph compares directory strings, ignoring case). Members are read with
// GET /groups/{id}/members, following @odata.nextLink until the last page
// (permission GroupMember.Read.All). Members that are not users (nested
// groups, devices, service principals) are skipped; nested groups are not
// expanded. A name no group has, or one several groups share, is a
// *GroupNotFoundError.
func (c *Client) GroupMembers(ctx context.Context, groupIDOrName string) ([]UserInfo, error) {
	name := strings.TrimSpace(groupIDOrName)
	if name == "" {
		return nil, errors.New("graph: group members: empty group ID or name")
	}
	id := name
	if !isObjectID(name) {
		var err error
		if id, err = c.groupByName(ctx, name); err != nil {
			return nil, err
		}
	}
	op := "list members of group " + name
	var out []UserInfo
	seen := map[string]bool{}
	r := request{
		op: op, method: http.MethodGet, path: "/groups/" + url.PathEscape(id) + "/members",
		query:      fmt.Sprintf("$select=id,userPrincipalName,displayName&$top=%d", memberPageSize),
		permission: PermissionGroupMember,
	}
	for page := 0; ; page++ {
		if page == maxMemberPages {
			return out, fmt.Errorf("%w: %s: more than %d pages", ErrMalformed, op, maxMemberPages)
		}
		resp, err := c.do(ctx, r)
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				return nil, &GroupNotFoundError{Group: name, Err: ae}
			}
			return nil, err
		}
		var w struct {
			Value *[]struct {
				Type string `json:"@odata.type"`
				wireUser
			} `json:"value"`
			NextLink string `json:"@odata.nextLink"`
		}
		if err := json.Unmarshal(resp.body, &w); err != nil || w.Value == nil {
			return out, malformed(op, "want {\"value\":[…]}", resp.body, resp.token)
		}
		for _, m := range *w.Value {
			if m.Type != "" && m.Type != "#microsoft.graph.user" {
				continue
			}
			if !isObjectID(m.ID) {
				return out, malformed(op, fmt.Sprintf("member id %q is not an object ID", m.ID), resp.body, resp.token)
			}
			if k := strings.ToLower(m.ID); !seen[k] {
				seen[k] = true
				out = append(out, UserInfo(m.wireUser))
			}
		}
		if w.NextLink == "" {
			return out, nil
		}
		if !c.sameHost(w.NextLink) {
			// The bearer token goes only to the configured Graph host.
			return out, malformed(op, fmt.Sprintf("@odata.nextLink %q is not on %s", w.NextLink, c.base), resp.body, resp.token)
		}
		r.url = w.NextLink
	}
}

// sameHost reports whether link is an absolute URL on the base URL's
// scheme and host.
func (c *Client) sameHost(link string) bool {
	u, err := url.Parse(link)
	b, berr := url.Parse(c.base)
	return err == nil && berr == nil && u.Scheme == b.Scheme && strings.EqualFold(u.Host, b.Host) &&
		strings.HasPrefix(u.Path, b.Path+"/")
}

// groupByName resolves a group's display name to its object ID.
func (c *Client) groupByName(ctx context.Context, name string) (string, error) {
	op := "find group " + name
	filter := "displayName eq '" + strings.ReplaceAll(name, "'", "''") + "'"
	resp, err := c.do(ctx, request{
		op: op, method: http.MethodGet, path: "/groups",
		query:      "$filter=" + url.QueryEscape(filter) + "&$select=id,displayName",
		permission: PermissionGroupMember,
	})
	if err != nil {
		return "", err
	}
	var w struct {
		Value *[]struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
		} `json:"value"`
	}
	if err := json.Unmarshal(resp.body, &w); err != nil || w.Value == nil {
		return "", malformed(op, "want {\"value\":[…]}", resp.body, resp.token)
	}
	if len(*w.Value) != 1 {
		return "", &GroupNotFoundError{Group: name, Matches: len(*w.Value)}
	}
	id := (*w.Value)[0].ID
	if !isObjectID(id) {
		return "", malformed(op, fmt.Sprintf("group id %q is not an object ID", id), resp.body, resp.token)
	}
	return id, nil
}

// MaxSchedules is the number of addresses GetSchedule puts in one
// getSchedule request. The v1.0 reference states no limit; 20 is the one
// reported for Exchange Online free/busy, so larger offices take
// ceil(n/20) requests.
const MaxSchedules = 20

// Schedule is one user's free/busy around a moment, from getSchedule.
//
// Busy means a calendar item with status busy, oof (out of office) or
// tentative covers the moment: a tentatively accepted meeting is usually
// attended, and a door sign that says "free" during it is the worse
// mistake. free, workingElsewhere and unknown count as free. Overlapping
// and back-to-back busy items merge into one block.
type Schedule struct {
	// User is the address as passed to GetSchedule.
	User string
	// BusyUntil is the end of the busy block covering the moment, or zero
	// when the user is free then.
	BusyUntil time.Time
	// NextBusy is the start of the next busy block after the moment (after
	// BusyUntil when busy), or zero when there is none before the end of
	// the window.
	NextBusy time.Time
	// Err is a per-user failure Graph reported inside a successful answer
	// (an unknown mailbox, no permission on that mailbox); the other
	// fields are then zero.
	Err error
}

// Busy reports whether the user is busy at the moment GetSchedule asked
// about.
func (s Schedule) Busy() bool { return !s.BusyUntil.IsZero() }

// ScheduleError is a per-user error inside a getSchedule answer
// (freeBusyError: message and responseCode).
type ScheduleError struct {
	User         string
	ResponseCode string // e.g. ErrorMailRecipientNotFound
	Message      string
}

func (e *ScheduleError) Error() string {
	return fmt.Sprintf("graph: schedule of %s: %s: %s", e.User, e.ResponseCode, e.Message)
}

// GetSchedule returns each user's free/busy from start (the moment asked
// about, usually now) to end, keyed by the address as given, with
// POST /users/{first user}/calendar/getSchedule in app-only mode or
// POST /me/calendar/getSchedule otherwise, MaxSchedules users per request
// (permission Calendars.ReadBasic). users are SMTP addresses (UPNs). Times
// are asked for and read in UTC. A user missing from Graph's answer gets a
// Schedule with Err set; a failed request returns the schedules of the
// requests before it with the error.
func (c *Client) GetSchedule(ctx context.Context, users []string, start, end time.Time) (map[string]Schedule, error) {
	const op = "get schedule"
	if !end.After(start) {
		return nil, fmt.Errorf("graph: %s: end %s is not after start %s", op, end, start)
	}
	var uniq []string
	for _, u := range users {
		u = strings.TrimSpace(u)
		if u == "" || strings.ContainsAny(u, "/?#") {
			return nil, fmt.Errorf("graph: %s: invalid address %q", op, u)
		}
		if !slices.ContainsFunc(uniq, func(x string) bool { return strings.EqualFold(x, u) }) {
			uniq = append(uniq, u)
		}
	}
	out := make(map[string]Schedule, len(uniq))
	for i := 0; i < len(uniq); i += MaxSchedules {
		batch := uniq[i:min(i+MaxSchedules, len(uniq))]
		if err := c.scheduleBatch(ctx, op, batch, start, end, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

type wireDateTime struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

const wireDateTimeLayout = "2006-01-02T15:04:05.0000000"

func (c *Client) scheduleBatch(ctx context.Context, op string, batch []string, start, end time.Time, out map[string]Schedule) error {
	body, err := json.Marshal(map[string]any{
		"schedules":                batch,
		"startTime":                wireDateTime{start.UTC().Format(wireDateTimeLayout), "UTC"},
		"endTime":                  wireDateTime{end.UTC().Format(wireDateTimeLayout), "UTC"},
		"availabilityViewInterval": 30,
	})
	if err != nil {
		return fmt.Errorf("graph: %s: encode request: %w", op, err)
	}
	r := request{
		op: op, method: http.MethodPost, path: "/me/calendar/getSchedule", body: body,
		header:     http.Header{"Prefer": {`outlook.timezone="UTC"`}},
		permission: PermissionCalendars,
	}
	var resp response
	if !c.appOnly {
		resp, err = c.do(ctx, r)
	} else {
		resp, err = c.scheduleAnchored(ctx, r, batch)
	}
	if err != nil {
		return err
	}
	got, err := decodeSchedules(op, resp.body, resp.token, start)
	if err != nil {
		return err
	}
	for _, u := range batch {
		s, ok := got[strings.ToLower(u)]
		if !ok {
			s = Schedule{Err: &ScheduleError{User: u, ResponseCode: "missing", Message: "not in Graph's answer"}}
		}
		s.User = u
		out[u] = s
	}
	return nil
}

// scheduleAnchored sends a getSchedule request in app-only mode, where
// there is no /me: the call goes through some mailbox the app may read,
// which need not be one of those asked about. The last mailbox that worked
// is tried first, then the batch's own, so a typo'd or departed first
// address costs one extra request once, not on every poll.
func (c *Client) scheduleAnchored(ctx context.Context, r request, batch []string) (response, error) {
	c.mu.Lock()
	anchors := []string{}
	if c.anchor != "" {
		anchors = append(anchors, c.anchor)
	}
	c.mu.Unlock()
	for _, u := range batch {
		if !slices.ContainsFunc(anchors, func(a string) bool { return strings.EqualFold(a, u) }) {
			anchors = append(anchors, u)
		}
	}
	var err error
	for i, a := range anchors {
		if i == 3 {
			break // three missing mailboxes in a row: report, do not scan the office
		}
		r.path = "/users/" + url.PathEscape(a) + "/calendar/getSchedule"
		r.user = a
		var resp response
		resp, err = c.do(ctx, r)
		if err == nil {
			c.mu.Lock()
			c.anchor = a
			c.mu.Unlock()
			return resp, nil
		}
		if !errors.Is(err, ErrUserNotFound) {
			return response{}, err
		}
	}
	return response{}, err
}

// decodeSchedules decodes a getSchedule answer into Schedules around now,
// keyed by lower-cased scheduleId.
func decodeSchedules(op string, body []byte, token string, now time.Time) (map[string]Schedule, error) {
	var w struct {
		Value *[]struct {
			ScheduleID    string `json:"scheduleId"`
			ScheduleItems []struct {
				Status string        `json:"status"`
				Start  *wireDateTime `json:"start"`
				End    *wireDateTime `json:"end"`
			} `json:"scheduleItems"`
			Error *struct {
				Message      string `json:"message"`
				ResponseCode string `json:"responseCode"`
			} `json:"error"`
		} `json:"value"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Value == nil {
		return nil, malformed(op, "want {\"value\":[…]}", body, token)
	}
	out := make(map[string]Schedule, len(*w.Value))
	for i, v := range *w.Value {
		if v.Error != nil {
			out[strings.ToLower(v.ScheduleID)] = Schedule{Err: &ScheduleError{User: v.ScheduleID, ResponseCode: v.Error.ResponseCode, Message: v.Error.Message}}
			continue
		}
		var blocks [][2]time.Time
		for j, it := range v.ScheduleItems {
			if !busyStatus(it.Status) {
				continue
			}
			if it.Start == nil || it.End == nil {
				return nil, malformed(op, fmt.Sprintf("value[%d].scheduleItems[%d] has no start or end", i, j), body, token)
			}
			s, err1 := it.Start.time()
			e, err2 := it.End.time()
			if err := errors.Join(err1, err2); err != nil {
				return nil, malformed(op, fmt.Sprintf("value[%d].scheduleItems[%d]: %v", i, j, err), body, token)
			}
			if e.After(s) {
				blocks = append(blocks, [2]time.Time{s, e})
			}
		}
		out[strings.ToLower(v.ScheduleID)] = scheduleAt(blocks, now)
	}
	return out, nil
}

// scheduleAt merges busy blocks and reads them at now.
func scheduleAt(blocks [][2]time.Time, now time.Time) Schedule {
	slices.SortFunc(blocks, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var merged [][2]time.Time
	for _, b := range blocks {
		if n := len(merged); n > 0 && !b[0].After(merged[n-1][1]) {
			if b[1].After(merged[n-1][1]) {
				merged[n-1][1] = b[1]
			}
			continue
		}
		merged = append(merged, b)
	}
	var s Schedule
	for _, b := range merged {
		switch {
		case !b[0].After(now) && b[1].After(now):
			s.BusyUntil = b[1]
		case b[0].After(now) && s.NextBusy.IsZero():
			s.NextBusy = b[0]
		}
	}
	return s
}

// busyStatus reports whether a scheduleItem status makes the person busy;
// see Schedule.
func busyStatus(status string) bool {
	switch strings.ToLower(status) {
	case "busy", "oof", "tentative":
		return true
	}
	return false
}

// time reads a dateTimeTimeZone: Graph's dateTime has no offset and up to
// seven fractional digits; timeZone is "UTC", an IANA name, or a Windows
// name (Exchange's own; see windowsZones).
func (d wireDateTime) time() (time.Time, error) {
	loc, err := LoadTimeZone(d.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.9999999", d.DateTime, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("dateTime %q: want 2006-01-02T15:04:05.0000000", d.DateTime)
	}
	return t, nil
}

// windowsZones maps the Windows time zone names Exchange reports to IANA
// names, for the zones most offices use (from CLDR's windowsZones.xml,
// https://github.com/unicode-org/cldr/blob/main/common/supplemental/windowsZones.xml).
// GetSchedule asks for UTC, so these only matter for answers that ignore the
// Prefer header.
var windowsZones = map[string]string{
	"UTC": "UTC", "Coordinated Universal Time": "UTC", "GMT Standard Time": "Europe/London",
	"Greenwich Standard Time": "Atlantic/Reykjavik", "W. Europe Standard Time": "Europe/Berlin",
	"Romance Standard Time": "Europe/Paris", "Central Europe Standard Time": "Europe/Budapest",
	"Central European Standard Time": "Europe/Warsaw", "E. Europe Standard Time": "Europe/Chisinau",
	"FLE Standard Time": "Europe/Kiev", "GTB Standard Time": "Europe/Bucharest",
	"Russian Standard Time": "Europe/Moscow", "Israel Standard Time": "Asia/Jerusalem",
	"India Standard Time": "Asia/Calcutta", "China Standard Time": "Asia/Shanghai",
	"Singapore Standard Time": "Asia/Singapore", "Tokyo Standard Time": "Asia/Tokyo",
	"AUS Eastern Standard Time": "Australia/Sydney", "New Zealand Standard Time": "Pacific/Auckland",
	"Eastern Standard Time": "America/New_York", "Central Standard Time": "America/Chicago",
	"Mountain Standard Time": "America/Denver", "US Mountain Standard Time": "America/Phoenix",
	"Pacific Standard Time": "America/Los_Angeles", "Alaskan Standard Time": "America/Anchorage",
	"Hawaiian Standard Time": "Pacific/Honolulu", "E. South America Standard Time": "America/Sao_Paulo",
	"Canada Central Standard Time": "America/Regina", "Atlantic Standard Time": "America/Halifax",
}

// LoadTimeZone loads a time zone by the name Graph uses in a
// dateTimeTimeZone: "UTC" (or ""), an IANA name, or a Windows name.
func LoadTimeZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "UTC") {
		return time.UTC, nil
	}
	if iana, ok := windowsZones[name]; ok {
		name = iana
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}
