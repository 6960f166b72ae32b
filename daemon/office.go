package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/mapping"
)

// An office: app-only mode (graph.auth.mode: app) reads presence with the
// client credentials grant, so door signs and a lobby board work with no
// one signed in; graph.groups adds whole teams, resolved at start and
// every groupRefresh. The calendar (calendar.go) adds "busy until".

// groupRefresh is how often group membership is read again: joiners
// appear and leavers go within the hour, for two requests per 1,000
// members (graph.GroupMembers pages by 999).
const groupRefresh = time.Hour

// certCheck is how often the certificate's expiry is looked at; a warning
// is logged at most this often.
const certCheck = 24 * time.Hour

// officeSource polls Graph with an app-only token: the named users of
// graph.users and the members of graph.groups, never /me.
type officeSource struct {
	g    *graph.Client
	app  *auth.AppClient
	need auth.Permissions
	log  *slog.Logger
	// configured are graph.users; groups are graph.groups.
	configured []config.User
	groups     []string

	mu      sync.Mutex
	checked bool                        // Check passed since the last failure
	members map[string][]graph.UserInfo // by group, as last read
	ids     map[string]string           // user key → object ID
	upns    map[string]string           // user key → UPN, for getSchedule

	// gen counts changes to configured, groups and members; watched is
	// watchedUsers' list at watchedGen, and plan the request for it at planGen
	// once every key in it resolved. A poll of 10,000 group members then
	// costs no sort, no lower-casing and no plan when nobody joined or
	// left.
	gen, watchedGen, planGen uint64
	watched                  []config.User
	plan                     *userPlan

	// last is the last poll's answer, whose array the next poll reuses
	// (presenceSource: an answer is valid until the next Poll).
	last []mapping.Presence
}

// NewApp returns the app-only token client for cfg and the permissions its
// configuration needs, as `onair login` checks them in app mode. The
// client is nil when cfg is not in app mode.
func NewApp(cfg *config.Config, hc *http.Client, log *slog.Logger) (*auth.AppClient, auth.Permissions, error) {
	set, err := cfg.Compile()
	if err != nil {
		return nil, auth.Permissions{}, err
	}
	return newApp(set, hc, log)
}

func newApp(set *config.Settings, hc *http.Client, log *slog.Logger) (*auth.AppClient, auth.Permissions, error) {
	need := auth.Permissions{Groups: len(set.Groups) > 0}
	for _, u := range set.Users {
		// A UPN is looked up once for its object ID (User.ReadBasic.All);
		// group members and object IDs need no lookup.
		need.Users = need.Users || strings.Contains(u.Key, "@")
	}
	if set.App == nil {
		return nil, need, nil
	}
	a := set.App
	cred, err := auth.LoadAppCredential(auth.CredentialConfig{
		CertificateFile: a.CertificateFile, CertificatePasswordFile: a.CertificatePasswordFile, CertificatePasswordEnv: a.CertificatePasswordEnv,
		ClientSecretFile: a.ClientSecretFile, ClientSecretEnv: a.ClientSecretEnv, ClientSecret: a.ClientSecret.Reveal(),
		AllowInlineSecret: a.AllowInlineSecret,
	})
	if err != nil {
		return nil, need, err
	}
	if cred.Warning != "" {
		log.Warn(cred.Warning)
	}
	app, err := auth.NewApp(auth.AppOptions{
		ClientID: a.ClientID, Tenant: a.Tenant, Authority: a.Authority, Credential: cred,
		HTTPClient: hc, Logger: log,
	})
	return app, need, err
}

func newOfficeSource(set *config.Settings, opts Options, log *slog.Logger) (*officeSource, func(context.Context) (string, error), error) {
	app, need, err := newApp(set, opts.HTTPClient, opts.Logger.With("component", "auth"))
	if err != nil {
		return nil, nil, err
	}
	g, err := graph.New(graph.Options{BaseURL: set.GraphURL, Tokens: app, HTTPClient: opts.HTTPClient, Logger: log, AppOnly: true})
	if err != nil {
		return nil, nil, err
	}
	s := &officeSource{
		g: g, app: app, need: need, log: log, configured: set.Users, groups: set.Groups,
		members: map[string][]graph.UserInfo{}, ids: map[string]string{}, upns: map[string]string{},
	}
	for _, u := range set.Users {
		if strings.Contains(u.Key, "@") {
			s.upns[u.Key] = u.Key
		}
	}
	account := func(context.Context) (string, error) {
		c := app.Credential()
		out := fmt.Sprintf("app %s in tenant %s (no sign-in), %v", set.App.ClientID, cmp.Or(set.App.Tenant, set.App.Authority), c)
		if notAfter, _, ok := app.CertificateExpiry(); ok {
			out += ", valid until " + notAfter.UTC().Format(time.DateOnly)
		}
		return out, nil
	}
	return s, account, nil
}

// watchedUsers returns the watched users: graph.users, then the members
// of graph.groups not already among them, by display name; and the
// generation the list belongs to. The slice is shared until the next
// change: read it, do not change it.
func (s *officeSource) watchedUsers() ([]config.User, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watched == nil || s.watchedGen != s.gen {
		s.watched, s.watchedGen = s.usersLocked(), s.gen
	}
	return s.watched, s.watchedGen
}

func (s *officeSource) usersLocked() []config.User {
	out := slices.Clone(s.configured)
	seen := map[string]bool{}
	for _, u := range out {
		seen[strings.ToLower(u.Key)] = true
	}
	var extra []config.User
	for _, g := range s.groups {
		for _, m := range s.members[g] {
			key := cmp.Or(m.UserPrincipalName, m.ID)
			if seen[strings.ToLower(key)] || seen[strings.ToLower(m.ID)] {
				continue
			}
			seen[strings.ToLower(key)] = true
			extra = append(extra, config.User{Key: key, Name: cmp.Or(m.DisplayName, key)})
		}
	}
	slices.SortStableFunc(extra, func(a, b config.User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return append(out, extra...)
}

// readGroups reads every group's members. A group that cannot be read
// keeps its last members, so a passing failure removes no one.
func (s *officeSource) readGroups(ctx context.Context) error {
	s.mu.Lock()
	groups := slices.Clone(s.groups)
	s.mu.Unlock()
	var errs []error
	for _, g := range groups {
		ms, err := s.g.GroupMembers(ctx, g)
		if err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g, err))
			continue
		}
		s.mu.Lock()
		if !slices.Equal(s.members[g], ms) {
			s.members[g] = ms
			s.gen++
		}
		for _, m := range ms {
			key := cmp.Or(m.UserPrincipalName, m.ID)
			s.ids[key] = m.ID
			if m.UserPrincipalName != "" {
				s.upns[key] = m.UserPrincipalName
			}
		}
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// address returns the SMTP address getSchedule takes for a user key, ""
// when none is known (an object ID not yet looked up).
func (s *officeSource) address(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upns[key]
}

// Poll implements presenceSource: one getPresencesByUserId request per
// 650 users. The app's permissions are checked (from the token's roles,
// no Graph request) first and after every failure, so a missing consent
// is named rather than met as a 403.
func (s *officeSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	s.mu.Lock()
	checked := s.checked
	s.mu.Unlock()
	if !checked {
		if _, err := s.app.Check(ctx, s.need); err != nil {
			return nil, err
		}
	}
	users, gen := s.watchedUsers()
	failed := map[string]error{}
	s.mu.Lock()
	plan := s.plan
	if s.planGen != gen {
		plan = nil
	}
	s.mu.Unlock()
	if plan == nil {
		plan = s.planFor(ctx, users, failed)
		if len(failed) == 0 {
			s.mu.Lock()
			s.plan, s.planGen = plan, gen
			s.mu.Unlock()
		}
	}
	var ps []mapping.Presence
	var err error
	if len(plan.ids) > 0 {
		ps, err = s.g.AppendUsers(ctx, s.last[:0], plan.ids)
		if errors.Is(err, graph.ErrUnauthorized) {
			// A token MSAL still holds was refused (the app's consent
			// changed): get a new one once, then try again.
			s.log.Info("Graph rejected the app token; getting a new one", "err", err)
			if _, rerr := s.app.Refresh(ctx); rerr != nil {
				return nil, rerr
			}
			ps, err = s.g.AppendUsers(ctx, s.last[:0], plan.ids)
		}
	}
	lookups := len(failed)
	out := plan.collect(ps, 0, err, failed)
	s.last = out
	s.mu.Lock()
	s.checked = err == nil || len(out) > 0
	s.mu.Unlock()
	if err != nil && len(out) == 0 && lookups == 0 {
		return nil, err
	}
	if len(failed) > 0 {
		return out, &partialError{failed: failed}
	}
	return out, nil
}

// planFor returns the request for users, looking up the object ID of each
// key not known yet; a user whose lookup fails is added to failed instead.
func (s *officeSource) planFor(ctx context.Context, users []config.User, failed map[string]error) *userPlan {
	plan := newUserPlan(len(users))
	for _, u := range users {
		s.mu.Lock()
		id, ok := s.ids[u.Key]
		s.mu.Unlock()
		if !ok && !strings.Contains(u.Key, "@") {
			id, ok = u.Key, true // an object ID: graph.Users takes it as it is
		}
		if !ok {
			info, err := s.g.LookupUser(ctx, u.Key)
			if err != nil {
				failed[u.Key] = fmt.Errorf("look up %s: %w", u.Key, err)
				continue
			}
			id = info.ID
			s.mu.Lock()
			s.ids[u.Key] = id
			if info.UserPrincipalName != "" {
				s.upns[u.Key] = info.UserPrincipalName
			}
			s.mu.Unlock()
		}
		plan.add(u.Key, id)
	}
	return plan
}

// classifyOffice is classify for app-only failures: a credential Entra ID
// refuses (wrong, expired, unknown tenant) is the login-required state,
// as a lost sign-in is, with the remedy for the app; a missing
// application permission is the error state.
func classifyOffice(err error) (failure, bool) {
	var r auth.Remedier
	switch {
	case errors.Is(err, auth.ErrCertificateExpired), errors.Is(err, auth.ErrInvalidCredential), errors.Is(err, auth.ErrTenantNotFound):
		errors.As(err, &r)
		return failure{state: mapping.StateLoginRequired, remedy: r.Remedy()}, true
	case errors.Is(err, auth.ErrPermissionMissing):
		errors.As(err, &r)
		return failure{state: mapping.StateError, remedy: r.Remedy()}, true
	}
	return failure{}, false
}

// refreshGroups reads graph.groups again and updates the watched users:
// joiners appear (and are polled at once), leavers are removed from
// every output (MQTT clears their retained topics and Home Assistant
// discovery). Run calls it at start and every groupRefresh; a config
// reload calls it too. It is a no-op without groups.
func (d *Daemon) refreshGroups(ctx context.Context) error {
	if d.office == nil {
		return nil
	}
	err := d.office.readGroups(ctx)
	if err != nil {
		d.log.Warn("cannot read group members; keeping the last members", "err", err)
	}
	users, _ := d.office.watchedUsers()
	d.mu.Lock()
	added, removed := d.st.setUsers(users)
	d.mu.Unlock()
	if added > 0 || removed > 0 {
		d.log.Info("group members changed", "users", len(users), "joined", added, "left", removed)
		d.PollNow()
	}
	d.poke()
	return err
}

// reloadOffice takes graph.users and graph.groups from reloaded settings
// and reads the groups again, so that a config reload (SIGHUP) adds and
// removes people without a restart. The credential, tenant and calendar
// settings take a restart. It is a no-op outside app-only mode.
func (d *Daemon) reloadOffice(ctx context.Context, set *config.Settings) error {
	if d.office == nil || set.App == nil {
		return nil
	}
	s := d.office
	s.mu.Lock()
	s.configured, s.groups = slices.Clone(set.Users), slices.Clone(set.Groups)
	s.gen++
	for g := range s.members {
		if !slices.Contains(s.groups, g) {
			delete(s.members, g)
		}
	}
	for _, u := range set.Users {
		if strings.Contains(u.Key, "@") {
			s.upns[u.Key] = u.Key
		}
	}
	s.mu.Unlock()
	return d.refreshGroups(ctx)
}

// runOffice runs the group refresh, the calendar and the certificate
// watch until ctx is done.
func (d *Daemon) runOffice(ctx context.Context, wg *sync.WaitGroup) {
	if d.office != nil && len(d.office.groups) > 0 {
		wg.Go(func() {
			for {
				_ = d.refreshGroups(ctx)
				select {
				case <-ctx.Done():
					return
				case <-time.After(groupRefresh):
				}
			}
		})
	}
	if d.office != nil {
		wg.Go(func() {
			for {
				d.checkCertificate(time.Now())
				select {
				case <-ctx.Done():
					return
				case <-time.After(certCheck):
				}
			}
		})
	}
	if d.set.Calendar.Enabled && d.calendar != nil {
		wg.Go(func() { d.calendarLoop(ctx) })
	}
}

// checkCertificate warns (log, status, MQTT health) when the app's
// certificate expires within auth.CertExpiryWarning.
func (d *Daemon) checkCertificate(now time.Time) {
	notAfter, soon, ok := d.office.app.CertificateExpiry()
	notice := ""
	if ok && soon {
		c := d.office.app.Credential()
		notice = fmt.Sprintf("the app's certificate %s expires on %s (in %s): create a new one, upload it to the app registration → Certificates & secrets, and point graph.auth.certificate_file at it",
			c.Thumbprint(), notAfter.UTC().Format(time.DateOnly), mapping.FormatDuration(notAfter.Sub(now).Round(time.Hour)))
		d.log.Warn("certificate expires soon", "not_after", notAfter, "thumbprint", c.Thumbprint(), "remedy", notice)
	}
	d.mu.Lock()
	d.st.notice = notice
	d.mu.Unlock()
	d.poke()
}

// setUsers replaces the watched users, keeping what is known of those who
// stay. It returns how many joined and left. An override of a user who
// left ends.
func (s *state) setUsers(users []config.User) (added, removed int) {
	next := make([]*userState, 0, len(users))
	byKey := make(map[string]*userState, len(users))
	for _, u := range users {
		if byKey[u.Key] != nil {
			continue
		}
		us := s.byKey[u.Key]
		if us == nil {
			us = &userState{key: u.Key}
			added++
		}
		us.name = u.Name
		next = append(next, us)
		byKey[u.Key] = us
	}
	for k := range s.byKey {
		if byKey[k] == nil {
			removed++
			delete(s.cal, k)
		}
	}
	if o := s.override; o != nil && byKey[o.User] == nil {
		s.override = nil
	}
	s.users, s.byKey = next, byKey
	s.forget()
	return added, removed
}
