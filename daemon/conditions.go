package daemon

import (
	"errors"
	"fmt"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/graph"
)

// Conditions name what failed, so that the remedy fits: a token cache that
// cannot be written is a local storage problem, not "Entra ID unavailable,
// check the network"; Graph asking to wait says until when. They are shown
// in status ("attention:") and MQTT health while presence keeps flowing.
const (
	conditionStorage = "storage"
	conditionGraph   = "graph"
)

// cacheWriter is a presence source whose sign-in keeps a token cache file
// (the Graph source); CacheWriteError is auth.Client's.
type cacheWriter interface {
	cacheWriteError() error
}

// noteConditions updates the storage and throttling conditions after a
// poll, logging each change once.
func (d *Daemon) noteConditions(now time.Time, err error) {
	var cerr error
	if cw, ok := d.source.(cacheWriter); ok {
		cerr = cw.cacheWriteError()
	}
	var cwe *auth.CacheWriteError
	if errors.As(cerr, &cwe) {
		msg := fmt.Sprintf("token cache %s cannot be written (%v): %s", cwe.Path, cwe.Err, cwe.Remedy())
		if d.setCondition(conditionStorage, msg) {
			d.log.Warn("token cache cannot be written; presence keeps flowing with tokens in memory", "path", cwe.Path, "err", cwe.Err, "remedy", cwe.Remedy())
		}
	} else if d.clearCondition(conditionStorage) {
		d.log.Info("token cache written again")
	}

	var throttled *graph.ThrottledError
	if errors.As(err, &throttled) && throttled.RetryAfter > 0 {
		resume := now.Add(throttled.RetryAfter)
		msg := "Graph is throttling onair; polling resumes at " + resume.Format(time.DateTime)
		if throttled.Requested > throttled.RetryAfter {
			msg += fmt.Sprintf(" (Graph asked for %s; onair waits at most %s)", throttled.Requested, throttled.RetryAfter)
		}
		if d.setCondition(conditionGraph, msg) {
			d.log.Warn("Graph throttled the poll; polling paused", "resumes", resume.Format(time.DateTime), "retry_after", throttled.RetryAfter, "requested", throttled.Requested)
		}
	} else if d.clearCondition(conditionGraph) {
		d.log.Info("polling resumed after Graph's throttling")
	}
}

// failureKey identifies a watched user's failure for logging: the same
// unknown user is the same failure even though its message names a new
// "not asked again before" time every hour.
func failureKey(err error) string {
	var nf *graph.NotFoundError
	var throttled *graph.ThrottledError
	switch {
	case errors.As(err, &nf):
		return "not found: " + nf.User
	case errors.As(err, &throttled):
		return "throttled"
	}
	return err.Error()
}

// forgetUnknownUsers makes the next poll ask Graph again about watched
// users it did not know (a reload: the user may exist now).
func (s *graphSource) forgetUnknownUsers() {
	for _, k := range s.others {
		s.g.ForgetUser(k)
	}
}

func (s *graphSource) cacheWriteError() error {
	if s.cacheErr == nil {
		return nil
	}
	return s.cacheErr()
}

func (s *pendingSource) forgetUnknownUsers() {
	s.mu.Lock()
	inner := s.inner
	s.mu.Unlock()
	if f, ok := inner.(interface{ forgetUnknownUsers() }); ok {
		f.forgetUnknownUsers()
	}
}

func (s *pendingSource) cacheWriteError() error {
	s.mu.Lock()
	inner := s.inner
	s.mu.Unlock()
	if cw, ok := inner.(cacheWriter); ok {
		return cw.cacheWriteError()
	}
	return nil
}

func (s *swapSource) cacheWriteError() error {
	if cw, ok := s.get().(cacheWriter); ok {
		return cw.cacheWriteError()
	}
	return nil
}
