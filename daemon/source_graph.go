package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/mapping"
)

// graphSource polls Graph for the signed-in user and the watched users.
type graphSource struct {
	g *graph.Client
	// refresh forces a new access token when Graph rejects one that the
	// token cache still considers valid; nil when unsupported.
	refresh func(context.Context) (string, error)
	// cacheErr is the sign-in's token cache write failure (storage).
	cacheErr func() error
	others   []string // configured keys of watched users besides "me"
	ids      map[string]string
	// plan is the batch request for others once every key is resolved;
	// nil until then (each poll resolves what it can and plans afresh).
	plan *userPlan
	// last is the last poll's answer, whose array the next poll reuses
	// (presenceSource: an answer is valid until the next Poll).
	last []mapping.Presence
	log  *slog.Logger
}

// userPlan is what a poll asks getPresencesByUserId for: object IDs, and
// the user key each stands for, so that answers come back under the key.
type userPlan struct {
	ids  []string
	keys []string          // by position in ids
	byID map[string]string // lower-cased object ID → user key
	// dup says two keys share an object ID (a UPN and the same user's ID,
	// say): the answer then goes to the key added last, through byID.
	dup bool
}

func newUserPlan(n int) *userPlan {
	return &userPlan{ids: make([]string, 0, n), keys: make([]string, 0, n), byID: make(map[string]string, n)}
}

func (pl *userPlan) add(key, id string) {
	lower := strings.ToLower(id)
	if _, ok := pl.byID[lower]; ok {
		pl.dup = true
	}
	pl.ids = append(pl.ids, id)
	pl.keys = append(pl.keys, key)
	pl.byID[lower] = key
}

// collect turns ps[from:], graph.Client.AppendUsers' answer to pl.ids
// (with err), into presences under their user keys, in place, and returns
// ps without any answer the plan does not know. When err is set, every
// planned user that has no presence is added to failed with it.
//
// The answer has the ids' order and their very strings, so each is matched
// by walking ids alongside it: 10,000 users cost no map lookup and no
// lower-casing. The map is the fallback for anything else.
func (pl *userPlan) collect(ps []mapping.Presence, from int, err error, failed map[string]error) []mapping.Presence {
	var got map[string]bool
	if err != nil {
		got = make(map[string]bool, len(ps)-from)
	}
	out, next := ps[:from], 0
	for _, p := range ps[from:] {
		key, ok := "", false
		if !pl.dup {
			for next < len(pl.ids) && pl.ids[next] != p.User {
				next++ // Graph left this one out
			}
			if next < len(pl.ids) {
				key, ok = pl.keys[next], true
				next++
			}
		}
		if !ok {
			key, ok = pl.byID[strings.ToLower(p.User)]
		}
		if !ok {
			continue
		}
		p.User = key
		out = append(out, p)
		if got != nil {
			got[key] = true
		}
	}
	if err != nil {
		for _, key := range pl.byID {
			if !got[key] {
				failed[key] = err
			}
		}
	}
	return out
}

// pendingSource stands in while no client ID is configured: the daemon runs
// and shows the login-required signal, status says what to do, and every
// poll reads the config file again. Once it names a client ID the Graph
// source takes over, with no restart: the usual first run is `onair service
// install`, then editing the config, then `onair login`.
type pendingSource struct {
	set  *config.Settings // the running settings; only the Graph ones are reloaded
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	inner   presenceSource
	account func(context.Context) (string, error)
	lastErr string // the last config problem logged
}

// Poll implements presenceSource.
func (s *pendingSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	s.mu.Lock()
	if s.inner == nil {
		s.tryLocked()
	}
	inner := s.inner
	s.mu.Unlock()
	if inner == nil {
		return nil, fmt.Errorf("%w (in %s)", auth.ErrNoClientID, s.opts.Paths.Config)
	}
	return inner.Poll(ctx)
}

// Account describes the sign-in for status.
func (s *pendingSource) Account(ctx context.Context) (string, error) {
	s.mu.Lock()
	account := s.account
	s.mu.Unlock()
	if account == nil {
		return "", errors.New("no client ID configured")
	}
	return account(ctx)
}

func (s *pendingSource) tryLocked() {
	if s.opts.Paths.Config == "" {
		return
	}
	cfg, err := config.Load(s.opts.Paths.Config)
	if err == nil {
		err = cfg.Validate()
	}
	if errors.Is(err, config.ErrNoConfig) {
		return
	}
	if err != nil {
		if msg := err.Error(); msg != s.lastErr {
			s.lastErr = msg
			s.log.Warn("config has problems; still waiting for a usable graph.client_id", "err", err)
		}
		return
	}
	next, _ := cfg.Compile()
	if next.ClientID == "" {
		return
	}
	set := *s.set
	set.ClientID, set.Tenant, set.Authority, set.GraphURL = next.ClientID, next.Tenant, next.Authority, next.GraphURL
	src, account, err := newGraphSource(&set, s.opts, s.log)
	if err != nil {
		s.log.Warn("cannot use the new graph settings", "err", err)
		return
	}
	s.log.Info("client ID found in the config; signing in with it", "config", s.opts.Paths.Config)
	s.inner, s.account = src, account
}

// NewAuth returns the sign-in client for cfg, as `onair login` and the
// daemon use it.
func NewAuth(cfg *config.Config, paths config.Paths, hc *http.Client, log *slog.Logger) (*auth.Client, error) {
	set, err := cfg.Compile()
	if err != nil {
		return nil, err
	}
	return newAuth(set, paths, hc, log)
}

func newAuth(set *config.Settings, paths config.Paths, hc *http.Client, log *slog.Logger) (*auth.Client, error) {
	scopes, err := auth.GraphScopes(set.GraphURL, len(set.Users) > 1)
	if err != nil {
		return nil, err
	}
	return auth.New(auth.Options{
		ClientID:   set.ClientID,
		Tenant:     set.Tenant,
		Authority:  set.Authority,
		Scopes:     scopes,
		CachePath:  paths.TokenCache,
		HTTPClient: hc,
		Logger:     log,
	})
}

func newGraphSource(set *config.Settings, opts Options, log *slog.Logger) (presenceSource, func(context.Context) (string, error), error) {
	a, err := newAuth(set, opts.Paths, opts.HTTPClient, opts.Logger.With("component", "auth"))
	if errors.Is(err, auth.ErrNoClientID) {
		p := &pendingSource{set: set, opts: opts, log: log}
		return p, p.Account, nil
	}
	if err != nil {
		return nil, nil, err
	}
	g, err := graph.New(graph.Options{BaseURL: set.GraphURL, Tokens: a, HTTPClient: opts.HTTPClient, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	s := &graphSource{g: g, ids: map[string]string{}, log: log, refresh: a.Refresh, cacheErr: a.CacheWriteError}
	for _, u := range set.Users[1:] {
		s.others = append(s.others, u.Key)
	}
	account := func(ctx context.Context) (string, error) {
		acct, ok, err := a.Account(ctx)
		switch {
		case err != nil:
			return "", err
		case !ok:
			return "", errors.New("not signed in: run `onair login`")
		}
		return acct.Username, nil
	}
	return s, account, nil
}

// Poll implements presenceSource. Watched users' UPNs are resolved to
// object IDs once; then one batch request covers up to 650 of them.
func (s *graphSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	me, err := s.g.Me(ctx)
	if errors.Is(err, graph.ErrUnauthorized) && s.refresh != nil {
		// The cached token was rejected (revoked, or expired early): get a
		// new one once, then try again before calling it a lost sign-in.
		s.log.Info("Graph rejected the access token; refreshing it", "err", err)
		if _, rerr := s.refresh(ctx); rerr != nil {
			return nil, rerr
		}
		me, err = s.g.Me(ctx)
	}
	if err != nil {
		return nil, err
	}
	me.User = config.Me
	// The daemon is done with the last answer once it asks again: reuse it.
	out := append(s.last[:0], me)
	if len(s.others) == 0 {
		return out, nil
	}
	// A colleague who cannot be polled (a typo in graph.users, someone who
	// left, a missing permission) must not cost everyone else their
	// presence: the others are returned with a *partialError naming them.
	failed := map[string]error{}
	plan := s.plan
	if plan == nil {
		plan = newUserPlan(len(s.others))
		for _, key := range s.others {
			id, ok := s.ids[key]
			if !ok {
				id, err = s.g.ResolveUser(ctx, key)
				if err != nil {
					failed[key] = fmt.Errorf("look up %s: %w", key, err)
					continue
				}
				s.ids[key] = id
			}
			plan.add(key, id)
		}
		if len(plan.ids) == len(s.others) {
			// Every key resolved: the same request from now on, and the
			// lookups are in the plan.
			s.plan, s.ids = plan, nil
		}
	}
	if len(plan.ids) > 0 {
		out, err = s.g.AppendUsers(ctx, out, plan.ids)
	}
	out = plan.collect(out, 1, err, failed)
	s.last = out
	if len(failed) > 0 {
		return out, &partialError{failed: failed}
	}
	return out, nil
}

// partialError is a poll that got the signed-in user's presence but not
// every watched colleague's. The daemon applies what came back and marks
// the failed users.
type partialError struct {
	failed map[string]error // by user key
}

func (e *partialError) Error() string {
	keys := make([]string, 0, len(e.failed))
	for k := range e.failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const show = 3
	var b strings.Builder
	fmt.Fprintf(&b, "presence of %d watched user(s) failed: ", len(keys))
	for i, k := range keys {
		if i == show {
			fmt.Fprintf(&b, "; and %d more", len(keys)-show)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %v", k, e.failed[k])
	}
	return b.String()
}

// Unwrap lets classify find a Retry-After or a missing permission behind
// the per-user errors.
func (e *partialError) Unwrap() []error {
	errs := make([]error, 0, len(e.failed))
	for _, err := range e.failed {
		errs = append(errs, err)
	}
	return errs
}

// failure is how the poll loop treats an error.
type failure struct {
	// state is LoginRequired or Error for conditions the user must fix;
	// Normal for transient ones (the last presence is kept until stale).
	state mapping.State
	// retryAfter is Graph's Retry-After, honoured exactly; 0 for backoff.
	retryAfter time.Duration
	remedy     string
}

func classify(err error) failure {
	if f, ok := classifyOffice(err); ok {
		return f
	}
	var throttled *graph.ThrottledError
	var forbidden *graph.ForbiddenError
	switch {
	case errors.Is(err, auth.ErrNoClientID):
		return failure{state: mapping.StateLoginRequired, remedy: "set graph.client_id in the config (`onair config path` shows where; the README's sign-in guide says how to get one), then run `onair login`: the running daemon picks both up"}
	case errors.Is(err, auth.ErrLoginRequired):
		return failure{state: mapping.StateLoginRequired, remedy: "run `onair login`"}
	case errors.Is(err, graph.ErrUnauthorized):
		return failure{state: mapping.StateLoginRequired, remedy: "Graph rejected the sign-in; run `onair login`"}
	case errors.Is(err, auth.ErrCacheUnreadable):
		return failure{state: mapping.StateError, remedy: "run `onair logout`, then `onair login`"}
	case errors.As(err, &forbidden):
		return failure{state: mapping.StateError, remedy: forbidden.Remedy}
	case errors.Is(err, graph.ErrUserNotFound):
		return failure{state: mapping.StateError, remedy: "check graph.users in the config: the user does not exist or has no Teams presence"}
	case errors.As(err, &throttled):
		return failure{retryAfter: throttled.RetryAfter}
	}
	return failure{}
}
