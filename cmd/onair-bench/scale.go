package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals of the tracker's issue 15 at 10,000 watched users.
const (
	goalScaleN         = 10000
	goalUnchangedCPU   = 20 * time.Millisecond
	goalAllChangeCPU   = 300 * time.Millisecond
	goalMQTTLatency    = 2 * time.Second
	goalScaleRSS       = 60e6 // bytes (60 MB)
	graphBatchMaxUsers = 650  // getPresencesByUserId's limit
)

// scaleRow is the result for one N.
type scaleRow struct {
	n              int
	reqPerPoll     float64
	unchanged      []time.Duration // CPU per unchanged poll
	allChange      []time.Duration // CPU per all-change poll
	latency        []time.Duration // last Graph response → last MQTT state
	firstLatency   []time.Duration // first Graph response of the poll → last MQTT state
	rss, hwm       int64
	threads, fds   int
	messagesPerAll float64
}

func cmdScale(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("onair-bench scale", flag.ContinueOnError)
	var bins binaries
	addBinaryFlags(fs, &bins, false)
	ns := fs.String("n", "1,1000,10000", "comma-separated `counts` of watched colleagues (each run adds me)")
	interval := fs.Duration("interval", 10*time.Second, "graph.interval (minimum 2s)")
	unchanged := fs.Int("unchanged", 6, "unchanged polls measured per N")
	changes := fs.Int("changes", 3, "all-change polls measured per N (every user flips between Available and Busy/InACall)")
	brokerURL := fs.String("broker", "", "MQTT broker `URL` to use instead of starting mosquitto")
	mosquitto := fs.String("mosquitto", "", "mosquitto `binary` (default: from PATH or /usr/sbin)")
	keep := fs.Bool("keep", false, "keep the temporary directory (configs, logs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var counts []int
	for _, f := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "onair-bench scale: -n: %q is not a count\n", f)
			return errUsage
		}
		counts = append(counts, n)
	}
	if fs.NArg() > 0 || *unchanged < 2 || *changes < 1 {
		fmt.Fprintln(os.Stderr, "onair-bench scale: want -unchanged ≥ 2, -changes ≥ 1 and no arguments")
		return errUsage
	}
	bins.baseline = "-"
	root, cleanup, err := workDir(ctx, "scale", *keep, &bins)
	if err != nil {
		return err
	}
	defer cleanup()
	loadBefore := loadAverage()
	var rows []scaleRow
	brokerVersion := *brokerURL
	for _, n := range counts {
		fmt.Fprintf(os.Stderr, "scale: N = %d …\n", n)
		dir := filepath.Join(root, fmt.Sprintf("n%d", n))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		row, version, err := scaleOne(ctx, mqttRunOptions{onair: bins.onair, root: dir, n: n, interval: *interval, brokerURL: *brokerURL, mosquitto: *mosquitto}, *unchanged, *changes)
		if err != nil {
			return fmt.Errorf("n=%d: %w", n, err)
		}
		brokerVersion = version
		rows = append(rows, row)
	}
	printScale(stdout, rows, *interval, brokerVersion, loadBefore, loadAverage())
	return nil
}

func scaleOne(ctx context.Context, o mqttRunOptions, unchanged, changes int) (scaleRow, string, error) {
	tb := &fakesTB{}
	defer tb.close()
	r, err := startMQTTRun(ctx, tb, o)
	if err != nil {
		return scaleRow{}, "", err
	}
	defer r.stop()
	row := scaleRow{n: o.n}
	reqs := r.cloud.requests

	// Unchanged polls.
	prev, err := r.mark(ctx)
	if err != nil {
		return row, "", err
	}
	from := r.marks
	for range unchanged {
		s, err := r.mark(ctx)
		if err != nil {
			return row, "", err
		}
		row.unchanged = append(row.unchanged, s.cpu-prev.cpu)
		prev = s
	}
	polls, total := 0, 0
	for _, e := range reqs.since(from)[:r.marks-from] {
		total++
		if isMe(e) {
			polls++
		}
	}
	row.reqPerPoll = float64(total) / float64(max(polls, 1))
	base := median(row.unchanged)

	// All-change polls: flip everyone right after a mark, so the next poll
	// carries every change; the window ends at the first mark after the
	// last state reached the subscriber. A window longer than one poll has
	// the unchanged polls it spans taken out.
	p := available
	for range changes {
		p = p.flip()
		reached := r.sub.expect(p.mqtt)
		msgs0, _ := r.sub.stats()
		first := reqs.len()
		r.cloud.set(0, o.n+1, p)
		var last time.Time
		select {
		case last = <-reached:
		case <-time.After(3*o.interval + time.Minute):
			got, _ := r.sub.stats()
			return row, "", fmt.Errorf("the change did not reach every user's MQTT state (%d state messages so far)", got)
		case <-r.proc.done:
			return row, "", r.proc.alive()
		case <-ctx.Done():
			return row, "", ctx.Err()
		}
		var s sample
		for {
			if s, err = r.mark(ctx); err != nil {
				return row, "", err
			}
			if s.at.After(last) {
				break
			}
		}
		windows := 0 // polls in the window
		for _, e := range reqs.since(first)[:r.marks-first] {
			if isMe(e) {
				windows++
			}
		}
		row.allChange = append(row.allChange, s.cpu-prev.cpu-time.Duration(max(windows-1, 0))*base)
		var firstResp, lastResp time.Time
		for _, e := range reqs.since(first) {
			if e.at.After(last) {
				break
			}
			if firstResp.IsZero() {
				firstResp = e.at
			}
			lastResp = e.at
		}
		row.latency = append(row.latency, last.Sub(lastResp))
		row.firstLatency = append(row.firstLatency, last.Sub(firstResp))
		msgs1, _ := r.sub.stats()
		row.messagesPerAll += float64(msgs1-msgs0) / float64(changes)
		// One more poll to settle, not counted.
		if prev, err = r.mark(ctx); err != nil {
			return row, "", err
		}
	}
	end, err := take(r.proc.pid())
	if err != nil {
		return row, "", err
	}
	row.rss, row.hwm, row.threads, row.fds = end.rss, end.hwm, end.threads, end.fds
	return row, r.broker.version, nil
}

func printScale(w io.Writer, rows []scaleRow, interval time.Duration, broker, loadBefore, loadAfter string) {
	fmt.Fprintf(w, "\nscale: onair run --quiet --no-lights, N colleagues by object ID + me, interval %v, MQTT to %s\n", interval, broker)
	fmt.Fprintf(w, "machine: %d CPUs, load average %s before, %s after; %s\n", runtime.NumCPU(), loadBefore, loadAfter, runtime.Version())
	fmt.Fprintln(w, "CPU: median (min–max) of the daemon's CPU time per poll, from half an interval after one poll to half an interval after the next")
	fmt.Fprintln(w, "latency: the last Graph response of the all-change poll → the last user's new state at a subscriber (from the poll's first response in brackets)")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "N\trequests/poll\tCPU unchanged poll, ms\tCPU all-change poll, ms\tresponse → last MQTT state, ms\tRSS, MiB\tpeak RSS, MiB\tthreads\tstate msgs/change\t")
	for _, r := range rows {
		want := int(math.Ceil(float64(r.n)/graphBatchMaxUsers)) + 1
		goalN := r.n == goalScaleN
		fmt.Fprintf(tw, "%d\t%.1f %s\t%s %s\t%s %s\t%s (%.0f) %s\t%.1f %s\t%.1f\t%d\t%.0f\t\n",
			r.n,
			r.reqPerPoll, mark(math.Abs(r.reqPerPoll-float64(want)) < 0.05, fmt.Sprintf("goal %d", want)),
			spread(r.unchanged), goalMark(goalN, median(r.unchanged) <= goalUnchangedCPU, "≤ 20"),
			spread(r.allChange), goalMark(goalN, median(r.allChange) <= goalAllChangeCPU, "≤ 300"),
			spread(r.latency), ms(median(r.firstLatency)), goalMark(goalN, slices.Max(r.latency) <= goalMQTTLatency, "≤ 2000"),
			float64(r.rss)/mib, goalMark(goalN, r.rss <= goalScaleRSS, "≤ 60 MB"),
			float64(r.hwm)/mib, r.threads, r.messagesPerAll)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nGoals (issue 15) are for N = %d; requests/poll ⌈N/650⌉+1 for every N. The latency goal holds for the slowest change.\n", goalScaleN)
}

// spread formats durations as "median (min–max)" in milliseconds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f (%.1f–%.1f)", ms(median(ds)), ms(slices.Min(ds)), ms(slices.Max(ds)))
}

func mark(ok bool, goal string) string {
	if ok {
		return "[ok " + goal + "]"
	}
	return "[OVER " + goal + "]"
}

func goalMark(applies, ok bool, goal string) string {
	if !applies {
		return ""
	}
	return mark(ok, goal)
}
