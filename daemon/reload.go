package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/mqtt"
	"github.com/onair-dev/onair/daemon/output/webhook"
	"github.com/onair-dev/onair/mapping"
)

// A reload (SIGHUP, `systemctl reload`, `onair reload`) reads the config
// file again. A valid file is applied live: the presence, the override and
// the pause stay; rules, schedule, interval and watched users change in the
// state; an output is restarted only when its own options changed (lights
// or MQTT), and MQTT learns added and removed users without a reconnect. An
// invalid file changes nothing: its errors are logged once, with their
// lines, and stay in status and MQTT health as a condition until a good
// file loads.

// ReloadResult is what a reload did, as `onair reload` prints it.
type ReloadResult struct {
	// Config is the file that was read.
	Config string `json:"config"`
	// OK reports whether the file was valid and is now in force.
	OK bool `json:"ok"`
	// Errors are the file's problems, "file:line: path: message".
	Errors []string `json:"errors,omitempty"`
	// Changed names what the reload changed: "rules", "schedule",
	// "interval", "users", "graph", "lights", "mqtt". Empty: nothing.
	Changed []string `json:"changed,omitempty"`
}

// conditionConfig is the condition a failed reload sets.
const conditionConfig = "config"

type reloadRequest struct {
	cfg   *config.Config
	set   *config.Settings
	reply chan ReloadResult
}

// Reload reads the config file (Options.Paths.Config) again and applies it
// if it is valid; see ReloadResult. It waits for the daemon loop, which
// applies it between two events, so Run must be running.
func (d *Daemon) Reload(ctx context.Context) ReloadResult {
	path := d.opts.Paths.Config
	res := ReloadResult{Config: path}
	d.mu.Lock()
	hadFile := d.opts.Config.Path() != "" // applyReload replaces it under d.mu
	d.mu.Unlock()
	cfg, err := config.Load(path)
	if errors.Is(err, config.ErrNoConfig) && !hadFile {
		// No file before and none now: the built-in defaults stay.
		cfg, err = config.DefaultConfig(), nil
	}
	var set *config.Settings
	if err == nil {
		set, err = cfg.Compile()
		if err == nil {
			err = cfg.ResolveSecrets(set)
		}
		if err != nil {
			res.Errors = cfg.Problems(err)
		}
	} else {
		res.Errors = []string{err.Error()}
	}
	if err == nil {
		err = checkOutputs(set, d.opts)
		if err != nil {
			res.Errors = []string{path + ": " + err.Error()}
		}
	}
	if err != nil {
		d.reloadFailed(res)
		return res
	}
	req := reloadRequest{cfg: cfg, set: set, reply: make(chan ReloadResult, 1)}
	select {
	case d.reloads <- req:
	case <-ctx.Done():
		res.Errors = []string{"the daemon did not take the reload: " + ctx.Err().Error()}
		return res
	}
	select {
	case r := <-req.reply:
		r.Config = path
		return r
	case <-ctx.Done():
		// The loop applies it anyway; only the answer is lost.
		res.OK = true
		return res
	}
}

// reloadFailed logs a bad config once per distinct set of errors and shows
// it as a condition until a good one loads.
func (d *Daemon) reloadFailed(res ReloadResult) {
	msg := "reload failed (" + strings.Join(res.Errors, "; ") + "); still running on the previous config"
	if d.setCondition(conditionConfig, msg) {
		d.log.Error("config reload failed; keeping the previous config", "config", res.Config, "errors", strings.Join(res.Errors, "\n"))
	}
	d.poke()
}

// checkOutputs runs the checks that building the outputs runs (the MQTT
// options: broker URL, TLS files), without starting anything.
func checkOutputs(set *config.Settings, opts Options) error {
	if set.MQTT == nil {
		return nil
	}
	_, err := mqtt.New(mqttOptions(set, opts.Version, nil, nil))
	return err
}

// applyReload applies a valid config. It runs on the loop goroutine, the
// only one that writes d.set, d.outs and d.source.
func (d *Daemon) applyReload(cfg *config.Config, set *config.Settings) ReloadResult {
	if d.opts.Demo {
		set.Interval = time.Second
	}
	old := d.set
	var changed []string
	note := func(what string, differs bool) {
		if differs {
			changed = append(changed, what)
		}
	}
	note("rules", !reflect.DeepEqual(old.Rules, set.Rules))
	note("schedule", !reflect.DeepEqual(old.Schedule, set.Schedule))
	note("interval", old.Interval != set.Interval)
	note("users", !slices.Equal(old.Users, set.Users))
	graphChanged := old.ClientID != set.ClientID || old.Tenant != set.Tenant || old.Authority != set.Authority || old.GraphURL != set.GraphURL
	note("graph", graphChanged)

	// The presence source: rebuilt when the sign-in or the watched users
	// changed; otherwise kept, and told to look up unknown users again
	// (the one fixed in Entra ID since).
	if sw, ok := d.source.(*swapSource); ok {
		switch {
		case d.office != nil || set.App != nil:
			// App-only mode keeps its credential; the watched users and
			// groups are taken over and the groups read again, off the
			// loop (a Graph round trip). Switching sign-in mode or
			// credential takes a restart.
			if graphChanged || (d.office == nil) != (set.App == nil) || !reflect.DeepEqual(old.App, set.App) {
				d.log.Warn("reload: graph sign-in settings changed; they take effect when onair restarts (onair service restart)")
			}
			d.outWG.Go(func() {
				if err := d.reloadOffice(d.outCtx, set); err != nil {
					d.log.Warn("reload: could not read graph.groups again; keeping the members known so far", "err", err)
				}
			})
		case d.opts.source == nil && (graphChanged || !slices.Equal(old.Users, set.Users)):
			var src presenceSource
			var account func(context.Context) (string, error)
			var err error
			if d.opts.Demo {
				src = newDemoSource(keysOf(set.Users))
			} else {
				src, account, err = newGraphSource(set, d.opts, d.log.With("component", "graph"))
			}
			if err != nil {
				res := ReloadResult{Errors: []string{cfg.Path() + ": graph: " + err.Error()}}
				d.reloadFailed(res)
				return res
			}
			sw.set(src)
			d.mu.Lock()
			d.account = account
			d.mu.Unlock()
		default:
			sw.forgetUnknownUsers()
		}
	}

	d.mu.Lock()
	d.set = set
	d.opts.Config = cfg
	d.st.reconfigure(set, d.log)
	d.mu.Unlock()

	changed = append(changed, d.reloadOutputs(set)...)
	d.clearCondition(conditionConfig)
	res := ReloadResult{OK: true, Changed: changed}
	if len(changed) == 0 {
		d.log.Info("config reloaded: nothing changed", "config", cfg.Path())
	} else {
		d.log.Info("config reloaded", "config", cfg.Path(), "changed", strings.Join(changed, ","))
	}
	d.publish(time.Now())
	return res
}

func keysOf(users []config.User) []string {
	keys := make([]string, len(users))
	for i, u := range users {
		keys[i] = u.Key
	}
	return keys
}

// reconfigure takes the new settings: rules, schedule and stale time
// change; users still watched keep their presence, new ones start empty,
// removed ones go (with an override that named them).
func (s *state) reconfigure(set *config.Settings, log interface {
	Info(string, ...any)
}) {
	s.rules, s.schedule, s.stale = set.Rules, set.Schedule, staleAfter(set.Interval)
	byKey := map[string]*userState{}
	var users []*userState
	for _, u := range set.Users {
		us := s.byKey[u.Key]
		if us == nil {
			us = &userState{key: u.Key}
		}
		us.name = u.Name
		users = append(users, us)
		byKey[u.Key] = us
	}
	for _, us := range s.users {
		if byKey[us.key] == nil {
			log.Info("user no longer watched", "user", us.key)
		}
	}
	s.users, s.byKey = users, byKey
	s.forget()
	if o := s.override; o != nil && byKey[o.User] == nil {
		log.Info("override cleared: its user is no longer watched", "user", o.User)
		s.override = nil
	}
}

// reloadOutputs restarts the outputs whose options changed, starts new
// ones and stops removed ones. It returns the names of those it touched.
func (d *Daemon) reloadOutputs(set *config.Settings) []string {
	var changed []string
	var want []*outputSlot
	if !d.opts.NoLights {
		o, spec, err := d.newLights(set)
		if err != nil {
			d.log.Error("lights: cannot apply the new config; keeping the old", "err", err)
		} else {
			want = append(want, &outputSlot{out: o, mb: output.NewMailbox(), kind: "lights", spec: spec})
		}
	}
	if set.MQTT != nil {
		o, spec, err := d.newMQTT(set)
		if err != nil {
			d.log.Error("mqtt: cannot apply the new config; keeping the old", "err", err)
		} else {
			want = append(want, &outputSlot{out: o, mb: output.NewMailbox(), kind: "mqtt", spec: spec})
		}
	}
	for _, w := range d.newWebOutputs(set) {
		if w.err != nil {
			d.log.Error("cannot apply the new config to an output; keeping the old", "output", w.kind, "err", w.err)
			continue
		}
		want = append(want, &outputSlot{out: w.out, mb: output.NewMailbox(), kind: w.kind, spec: w.spec})
	}
	byKind := map[string]*outputSlot{}
	for _, w := range want {
		byKind[w.kind] = w
	}
	var outs []*outputSlot
	var started []*outputSlot
	for _, o := range d.outs {
		if o.kind == "" {
			outs = append(outs, o) // terminal and test outputs: no options
			continue
		}
		w, ok := byKind[o.kind]
		if !ok && d.keepOnError(o.kind, set) {
			outs = append(outs, o)
			continue
		}
		delete(byKind, o.kind)
		switch {
		case !ok:
			d.log.Info("output removed by the new config", "output", o.out.Name())
			o.stop()
			changed = append(changed, o.kind)
		case reflect.DeepEqual(o.spec, w.spec):
			outs = append(outs, o)
			if m, isMQTT := o.out.(*mqtt.Output); isMQTT {
				m.SetUsers(keysOf(set.Users))
			}
		default:
			d.log.Info("output options changed; restarting it", "output", o.out.Name())
			o.stop()
			w.after = o.done
			outs = append(outs, w)
			started = append(started, w)
			changed = append(changed, o.kind)
		}
	}
	for _, w := range want {
		if _, ok := byKind[w.kind]; ok {
			outs = append(outs, w)
			started = append(started, w)
			changed = append(changed, w.kind)
		}
	}
	d.mu.Lock()
	d.outs = outs
	last := d.last
	d.mu.Unlock()
	for _, w := range started {
		if last != nil {
			w.mb.Put(last)
		}
		d.startSlot(w)
	}
	return changed
}

// keepOnError reports whether an output of kind that the new settings
// still want but could not build must keep running.
func (d *Daemon) keepOnError(kind string, set *config.Settings) bool {
	switch kind {
	case "lights":
		return !d.opts.NoLights
	case "mqtt":
		return set.MQTT != nil
	case "web":
		return set.Web != nil
	}
	if name, ok := strings.CutPrefix(kind, "webhook:"); ok {
		return slices.ContainsFunc(set.Webhooks, func(h webhook.Options) bool { return h.Name == name })
	}
	return false
}

// startSlot runs an output on its own context under the outputs' context,
// after the output it replaces (if any) has run its exit action.
func (d *Daemon) startSlot(o *outputSlot) {
	ctx, cancel := context.WithCancel(d.outCtx)
	o.cancel = cancel
	o.done = make(chan struct{})
	d.outWG.Go(func() {
		defer close(o.done)
		if o.after != nil {
			select {
			case <-o.after:
			case <-ctx.Done():
				return
			}
		}
		if err := o.out.Run(ctx, o.mb); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("output stopped", "output", o.out.Name(), "err", err)
		}
	})
}

// stop ends the output: it runs its exit action and returns from Run.
func (o *outputSlot) stop() {
	if o.cancel != nil {
		o.cancel()
	}
}

// swapSource lets a reload replace the presence source while a poll may be
// in flight: the poll finishes on the source it started with.
type swapSource struct {
	mu    sync.Mutex
	inner presenceSource
}

func (s *swapSource) Poll(ctx context.Context) ([]mapping.Presence, error) {
	s.mu.Lock()
	in := s.inner
	s.mu.Unlock()
	return in.Poll(ctx)
}

func (s *swapSource) get() presenceSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inner
}

func (s *swapSource) set(p presenceSource) {
	s.mu.Lock()
	s.inner = p
	s.mu.Unlock()
}

// forgetUnknownUsers makes the next poll look up users that Graph did not
// know, instead of waiting for the remembered answer to expire.
func (s *swapSource) forgetUnknownUsers() {
	if f, ok := s.get().(interface{ forgetUnknownUsers() }); ok {
		f.forgetUnknownUsers()
	}
}

// setCondition records a condition (see output.Health.Conditions) and
// reports whether it is new or changed; clearCondition removes it.
func (d *Daemon) setCondition(name, msg string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conds == nil {
		d.conds = map[string]string{}
	}
	if d.conds[name] == msg {
		return false
	}
	d.conds[name] = msg
	return true
}

func (d *Daemon) clearCondition(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.conds[name]; !ok {
		return false
	}
	delete(d.conds, name)
	return true
}

// conditionsLocked lists the conditions as "name: message", by name.
func (d *Daemon) conditionsLocked() []string {
	if len(d.conds) == 0 {
		return nil
	}
	out := make([]string, 0, len(d.conds))
	for name, msg := range d.conds {
		out = append(out, fmt.Sprintf("%s: %s", name, msg))
	}
	sort.Strings(out)
	return out
}

// CheckConfig runs every check that starting the daemon on cfg runs,
// without starting anything: validation, the secrets the daemon reads
// (mqtt.password_file, mqtt.password_env) and the outputs' own checks (the
// MQTT broker URL and TLS files). `onair config check` calls it, so that a
// file it passes is one `onair run` accepts. Errors are one line each,
// "file:line: path: message" where the line is known.
func CheckConfig(cfg *config.Config, version string) []string {
	set, err := cfg.Compile()
	if err == nil {
		err = cfg.ResolveSecrets(set)
	}
	if err != nil {
		return cfg.Problems(err)
	}
	if err := checkOutputs(set, Options{Version: version}); err != nil {
		return []string{cfg.Path() + ": " + err.Error()}
	}
	return nil
}
