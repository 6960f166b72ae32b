package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kardianos/service"
)

// stopTimeout bounds a service stop: the daemon's outputs run their exit
// action (lights off, MQTT offline) and the process exits within it.
const stopTimeout = 5 * time.Second

// program runs the daemon under kardianos/service: Start launches it,
// Stop cancels its context and waits for it to finish.
type program struct {
	run    func(context.Context) error
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	err      error // what run returned
	stopping bool  // Stop was called, so run ending is expected
}

var _ service.Interface = (*program)(nil)

func newProgram(ctx context.Context, run func(context.Context) error) *program {
	ctx, cancel := context.WithCancel(ctx)
	return &program{run: run, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// Start implements service.Interface. It must not block.
func (p *program) Start(service.Service) error {
	if p.run == nil {
		return errors.New("nothing to run")
	}
	go func() {
		err := p.run(p.ctx)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return nil
}

// Stop implements service.Interface: it cancels the daemon and waits up to
// stopTimeout for it to run the exit actions and return.
func (p *program) Stop(service.Service) error {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	if p.cancel == nil {
		return nil
	}
	p.cancel()
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.result()
	case <-timer.C:
		return fmt.Errorf("the daemon did not stop within %s", stopTimeout)
	}
}

// result is what the daemon returned, or an error if it ended on its own
// (without Stop), so that the service manager sees a failure and restarts
// it.
func (p *program) result() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if !p.stopping {
		return errors.New("the daemon stopped unexpectedly")
	}
	return nil
}

// runDaemon runs the daemon until ctx is done. Under a service manager
// (systemd, launchd, the Windows SCM) it runs through kardianos/service, so
// that the manager's stop request stops it and, on Windows, the SCM sees a
// service at all.
func runDaemon(ctx context.Context, run func(context.Context) error) error {
	if service.Interactive() {
		return run(ctx)
	}
	p := newProgram(ctx, run)
	cfg := &service.Config{Name: serviceName, Option: service.KeyValue{
		// POSIX: main's context already ends on SIGTERM/SIGINT; also end
		// the wait when the daemon returns by itself, so that the service
		// manager sees the exit and applies its restart policy.
		"RunWait": func() {
			select {
			case <-ctx.Done():
			case <-p.done:
			}
		},
	}}
	svc, err := service.New(p, cfg)
	if err != nil {
		return fmt.Errorf("service manager: %w", err)
	}
	watchDaemonExit(svc, p)
	err = svc.Run()
	if err == nil {
		select {
		case <-p.done:
			err = p.result()
		default:
		}
	}
	if err != nil {
		reportFailure(err)
	}
	return err
}

// serviceLogHandler is a slog.Handler that writes through a kardianos
// service.Logger: the Windows Event Log under the SCM, syslog under launchd.
// Records are formatted by slog's text handler without the time (the log
// has its own) and sent at the matching level (debug and info as Info).
type serviceLogHandler struct {
	inner slog.Handler
	level slog.Handler // decides Enabled: the handler the config asked for
	sink  *serviceLogSink
}

type serviceLogSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
	log service.Logger
}

func (s *serviceLogSink) Write(p []byte) (int, error) { return s.buf.Write(p) }

func newServiceLogHandler(l service.Logger, levelFrom slog.Handler) *serviceLogHandler {
	sink := &serviceLogSink{log: l}
	inner := slog.NewTextHandler(sink, &slog.HandlerOptions{
		Level: slog.LevelDebug, // levelFrom filters
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return &serviceLogHandler{inner: inner, level: levelFrom, sink: sink}
}

func (h *serviceLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.level.Enabled(ctx, l)
}

func (h *serviceLogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.sink.mu.Lock()
	defer h.sink.mu.Unlock()
	h.sink.buf.Reset()
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	msg := strings.TrimSuffix(h.sink.buf.String(), "\n")
	switch {
	case r.Level >= slog.LevelError:
		return h.sink.log.Error(msg)
	case r.Level >= slog.LevelWarn:
		return h.sink.log.Warning(msg)
	default:
		return h.sink.log.Info(msg)
	}
}

func (h *serviceLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &serviceLogHandler{inner: h.inner.WithAttrs(as), level: h.level.WithAttrs(as), sink: h.sink}
}

func (h *serviceLogHandler) WithGroup(name string) slog.Handler {
	return &serviceLogHandler{inner: h.inner.WithGroup(name), level: h.level.WithGroup(name), sink: h.sink}
}
