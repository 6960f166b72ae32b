package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

// Goals of the tracker's issue 15 for the idle daemon.
const (
	goalIdleCPURatio = 1.5              // × the baseline's CPU
	goalWakeups      = 1.0              // per second
	goalIdleRSS      = 13 * 1024 * 1024 // bytes
)

// idleTarget is one process measured by cmdIdle, with its own fake Graph.
type idleTarget struct {
	label    string
	proc     *process
	graph    *graphtest.Server
	me       string
	requests *events

	s0, s1     sample
	r0, r1     int // Graph requests at s0 and s1
	polls      int // /me requests between s0 and s1
	latencies  []time.Duration
	latencyErr error
}

func cmdIdle(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("onair-bench idle", flag.ContinueOnError)
	var bins binaries
	addBinaryFlags(fs, &bins, true)
	duration := fs.Duration("duration", 5*time.Minute, "idle measurement window, after the warm-up")
	warmup := fs.Duration("warmup", 30*time.Second, "time from start to the window: sign-in, first polls, first USB scans")
	interval := fs.Duration("interval", 10*time.Second, "graph.interval of the daemons and the baseline's period (onair's default is 10s)")
	changes := fs.Int("changes", 5, "presence changes after the window, for the response → terminal line latency")
	rtt := fs.Duration("rtt", 0, "delay every Graph answer by this much, as a network would (e.g. 50ms); 0 answers at once over loopback")
	keep := fs.Bool("keep", false, "keep the temporary directory (configs, logs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *duration <= 0 || *changes < 1 {
		fmt.Fprintln(os.Stderr, "onair-bench idle: want -duration > 0, -changes ≥ 1 and no arguments")
		return errUsage
	}
	root, cleanup, err := workDir(ctx, "idle", *keep, &bins)
	if err != nil {
		return err
	}
	defer cleanup()
	tb := &fakesTB{}
	defer tb.close()
	caFile := filepath.Join(root, "ca.pem")
	ca, err := writeCAFile(caFile)
	if err != nil {
		return err
	}

	// The baseline: a fake Graph that accepts one static token.
	var targets []*idleTarget
	{
		bt := &idleTarget{label: "baseline", requests: newEvents(), me: graphtest.ID(1)}
		bt.graph = graphtest.NewServer(graphtest.Options{TLS: true, OnRequest: delayed(*rtt, func(r graphtest.Request) {
			bt.requests.add(event{at: time.Now(), name: r.Endpoint, status: r.Status})
		})})
		tb.Cleanup(bt.graph.Close)
		bt.graph.AddUser(bt.me, "adele.vance@contoso.example", "Adele Vance")
		bt.graph.SetPresence(bt.me, available.availability, available.activity)
		const token = "onair-bench-baseline-token"
		bt.graph.AddToken(token, "Presence.Read")
		if err := checkTrust(ca, bt.graph.URL()); err != nil {
			return err
		}
		env := append(os.Environ(), "SSL_CERT_FILE="+caFile, "ONAIR_BASELINE_TOKEN="+token)
		bt.proc, err = start("baseline", bins.baseline, []string{"-url", bt.graph.URL() + "/me/presence", "-interval", interval.String()}, env, filepath.Join(root, "baseline.stderr"))
		if err != nil {
			return err
		}
		defer bt.proc.stop()
		targets = append(targets, bt)
	}
	// The two daemons, each signed in to its own fake cloud.
	for i, v := range []struct {
		label string
		args  []string
	}{
		{"onair run", nil},
		{"onair run --no-lights", []string{"--no-lights"}},
	} {
		c := newCloud(tb, 0, *rtt)
		if err := checkTrust(ca, c.entra.URL(), c.graph.URL()); err != nil {
			return err
		}
		dir := filepath.Join(root, fmt.Sprintf("onair%d", i+1))
		d, err := newDaemonSetup(bins.onair, dir, caFile, c, *interval, "")
		if err != nil {
			return err
		}
		// Each daemon runs its own copy of the binary, as the one daemon on
		// a user's machine does: processes that map one file share its
		// pages, and neither can give back the ones the other maps
		// (`onair run` releases its start-up pages after 10 s on Linux).
		if d.bin, err = copyBinary(bins.onair, dir); err != nil {
			return err
		}
		if err := d.login(ctx); err != nil {
			return err
		}
		p, err := start(v.label, d.bin, append([]string{"--config", d.config, "run"}, v.args...), d.env, filepath.Join(dir, "stderr.log"))
		if err != nil {
			return err
		}
		defer p.stop()
		targets = append(targets, &idleTarget{label: v.label, proc: p, graph: c.graph, me: c.ids[0], requests: c.requests})
	}
	started := time.Now()

	// Each shows the presence once it has polled.
	for _, t := range targets {
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := t.proc.waitLine(wctx, 0, available.terminal)
		cancel()
		if err != nil {
			return fmt.Errorf("%s never showed the first presence: %w\n%s", t.label, err, tail(t.proc.stderr, 2000))
		}
	}
	fmt.Fprintf(os.Stderr, "idle: %d processes up; warm-up until %s, window %v, then %d changes\n",
		len(targets), started.Add(*warmup).Format(time.TimeOnly), *duration, *changes)
	if err := sleep(ctx, time.Until(started.Add(*warmup))); err != nil {
		return err
	}
	loadBefore := loadAverage()
	for _, t := range targets {
		if err := t.mark(&t.s0, &t.r0); err != nil {
			return err
		}
	}
	if err := sleep(ctx, *duration); err != nil {
		return err
	}
	for _, t := range targets {
		if err := t.mark(&t.s1, &t.r1); err != nil {
			return err
		}
		for _, e := range t.requests.since(0)[t.r0:t.r1] {
			if isMe(e) {
				t.polls++
			}
		}
	}
	loadAfter := loadAverage()

	// Latency: change the presence a third of an interval after a poll, so
	// that the next response surely carries it, then time the response
	// against the line that shows it.
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Go(func() { t.latencies, t.latencyErr = t.measureLatency(ctx, *interval, *changes) })
	}
	wg.Wait()
	for _, t := range targets {
		if t.latencyErr != nil {
			return fmt.Errorf("%s: %w", t.label, t.latencyErr)
		}
	}
	return printIdle(stdout, targets, *duration, *interval, *rtt, loadBefore, loadAfter)
}

// mark samples the process and the request count.
func (t *idleTarget) mark(s *sample, reqs *int) error {
	if err := t.proc.alive(); err != nil {
		return err
	}
	var err error
	if *s, err = take(t.proc.pid()); err != nil {
		return fmt.Errorf("%s: %w", t.label, err)
	}
	*reqs = t.requests.len()
	return nil
}

func (t *idleTarget) measureLatency(ctx context.Context, interval time.Duration, n int) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(n+2)*3*interval+time.Minute)
	defer cancel()
	var out []time.Duration
	p := available
	for range n {
		_, poll, err := t.requests.wait(ctx, t.requests.len(), isMe)
		if err != nil {
			return nil, fmt.Errorf("waiting for a poll: %w", err)
		}
		if err := sleep(ctx, time.Until(poll.at.Add(interval/3))); err != nil {
			return nil, err
		}
		p = p.flip()
		from, lines := t.requests.len(), t.proc.lines.len()
		t.graph.SetPresence(t.me, p.availability, p.activity)
		_, resp, err := t.requests.wait(ctx, from, isMe)
		if err != nil {
			return nil, fmt.Errorf("waiting for the poll after a change: %w", err)
		}
		line, err := t.proc.waitLine(ctx, lines, p.terminal)
		if err != nil {
			return nil, err
		}
		out = append(out, line.at.Sub(resp.at))
	}
	return out, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const mib = 1024 * 1024

func printIdle(w io.Writer, ts []*idleTarget, window, interval, rtt time.Duration, loadBefore, loadAfter string) error {
	base := ts[0]
	type metric struct {
		name string
		f    func(t *idleTarget) float64
		unit string
		goal string                  // "" when the row has no goal
		ok   func(v, b float64) bool // whether value v meets it, baseline b
	}
	secs := func(t *idleTarget) float64 { return t.s1.at.Sub(t.s0.at).Seconds() }
	metrics := []metric{
		{"CPU, % of one core", func(t *idleTarget) float64 { return 100 * (t.s1.cpu - t.s0.cpu).Seconds() / secs(t) }, "%.4f", fmt.Sprintf("≤ %.1f× baseline", goalIdleCPURatio), func(v, b float64) bool { return v <= goalIdleCPURatio*b }},
		{"CPU per poll, ms", func(t *idleTarget) float64 {
			return float64((t.s1.cpu - t.s0.cpu).Microseconds()) / 1000 / float64(max(t.polls, 1))
		}, "%.2f", "", nil},
		{"CPU, /proc/pid/stat ticks", func(t *idleTarget) float64 { return float64(t.s1.ticks - t.s0.ticks) }, "%.0f", "", nil},
		{"wake-ups/s (voluntary switches)", func(t *idleTarget) float64 { return float64(t.s1.voluntary-t.s0.voluntary) / secs(t) }, "%.2f", fmt.Sprintf("≤ %.0f/s", goalWakeups), func(v, _ float64) bool { return v <= goalWakeups }},
		{"wake-ups per poll", func(t *idleTarget) float64 {
			return float64(t.s1.voluntary-t.s0.voluntary) / float64(max(t.polls, 1))
		}, "%.1f", "", nil},
		{"context switches/s (all)", func(t *idleTarget) float64 {
			return float64(t.s1.voluntary+t.s1.involuntary-t.s0.voluntary-t.s0.involuntary) / secs(t)
		}, "%.2f", "", nil},
		{"page faults from disk (window)", func(t *idleTarget) float64 { return float64(t.s1.majflt - t.s0.majflt) }, "%.0f", "", nil},
		{"RSS, MiB", func(t *idleTarget) float64 { return float64(t.s1.rss) / mib }, "%.1f", fmt.Sprintf("≤ %d MiB", goalIdleRSS/mib), func(v, _ float64) bool { return v*mib <= goalIdleRSS }},
		{"  of which anonymous (heap, stacks), MiB", func(t *idleTarget) float64 { return float64(t.s1.anon) / mib }, "%.1f", "", nil},
		{"  of which file (the binary's pages), MiB", func(t *idleTarget) float64 { return float64(t.s1.file) / mib }, "%.1f", "", nil},
		{"peak RSS (VmHWM), MiB", func(t *idleTarget) float64 { return float64(t.s1.hwm) / mib }, "%.1f", "", nil},
		{"threads", func(t *idleTarget) float64 { return float64(t.s1.threads) }, "%.0f", "", nil},
		{"Graph requests/hour", func(t *idleTarget) float64 { return float64(t.r1-t.r0) * 3600 / secs(t) }, "%.0f", "", nil},
		{"response → line, median ms", func(t *idleTarget) float64 { return ms(median(t.latencies)) }, "%.2f", "", nil},
		{"response → line, max ms", func(t *idleTarget) float64 { return ms(slices.Max(t.latencies)) }, "%.2f", "", nil},
	}
	answers := "at once over loopback"
	if rtt > 0 {
		answers = fmt.Sprintf("%v after each request (-rtt)", rtt)
	}
	fmt.Fprintf(w, "\nidle: %d processes side by side, each with its own fake Graph over TLS answering %s; window %v after warm-up; interval %v\n", len(ts), answers, window, interval)
	fmt.Fprintf(w, "machine: %d CPUs, load average %s at the start of the window, %s at its end; %s\n", runtime.NumCPU(), loadBefore, loadAfter, runtime.Version())
	fmt.Fprintf(w, "latency: %d presence changes per process after the window, from the fake Graph deciding the response to the line on stdout\n\n", len(base.latencies))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"", base.label}
	for _, t := range ts[1:] {
		head = append(head, t.label, "ratio")
	}
	head = append(head, "goal")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, m := range metrics {
		b := m.f(base)
		row := []string{m.name, fmt.Sprintf(m.unit, b)}
		var goals []string
		for _, t := range ts[1:] {
			v := m.f(t)
			row = append(row, fmt.Sprintf(m.unit, v), ratio(v, b))
			if m.ok != nil {
				goals = append(goals, verdict(m.ok(v, b)))
			}
		}
		if m.ok != nil {
			row = append(row, m.goal+": "+strings.Join(goals, ", "))
		} else {
			row = append(row, "")
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\ngoal: issue 15's, judged for each onair column, left to right")
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "OVER"
}

func ratio(v, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", v/b)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// median of durations or figures (0 for none).
func median[T time.Duration | float64](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
