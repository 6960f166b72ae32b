package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestBenchesEndToEnd runs each bench briefly against onair built from this
// tree: the fakes, the real sign-in, the broker and the report. Its
// figures are not checked against the goals (a test machine is no bench),
// only that each report has its rows and the request counts are exact.
func TestBenchesEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds onair and runs it for about a minute")
	}
	mosquitto := requireMosquitto(t)
	var bins binaries
	if err := bins.build(t.Context(), t.TempDir()); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	prev := stdout
	stdout = &out
	t.Cleanup(func() { stdout = prev })
	runBench := func(args ...string) string {
		t.Helper()
		out.Reset()
		code := run(t.Context(), args)
		// A 20-second soak has a few polls per quarter: its verdict is
		// noise and may say GREW (exit 1), after printing the report
		// that is checked below. Any other failure prints none.
		if code == 1 && args[0] == "soak" {
			code = 0
		}
		if code != 0 {
			t.Fatalf("onair-bench %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
		}
		t.Logf("onair-bench %s:\n%s", strings.Join(args, " "), out.String())
		return out.String()
	}

	// -rtt: every Graph answer arrives 20 ms late, as over a network.
	idle := runBench("idle", "-onair", bins.onair, "-baseline", bins.baseline, "-interval", "2s", "-warmup", "3s", "-duration", "6s", "-changes", "2", "-rtt", "20ms")
	for _, row := range []string{"answering 20ms after each request", "CPU, % of one core", "wake-ups/s", "RSS, MiB", "Graph requests/hour", "response → line, median ms"} {
		if !strings.Contains(idle, row) {
			t.Errorf("idle report lacks the row %q", row)
		}
	}
	if !regexp.MustCompile(`baseline\s+onair run\s+ratio\s+onair run --no-lights\s+ratio`).MatchString(idle) {
		t.Error("idle report lacks the three columns and ratios")
	}

	// N = 0 and 650 are one batch or none; 651 needs two.
	scale := runBench("scale", "-onair", bins.onair, "-mosquitto", mosquitto, "-n", "0,651", "-interval", "2s", "-unchanged", "2", "-changes", "1")
	for _, want := range []string{`(?m)^\s+0\s+1\.0 \[ok goal 1\]`, `(?m)^\s+651\s+3\.0 \[ok goal 3\]`} {
		if !regexp.MustCompile(want).MatchString(scale) {
			t.Errorf("scale report lacks %s", want)
		}
	}

	soak := runBench("soak", "-onair", bins.onair, "-mosquitto", mosquitto, "-n", "20", "-churn", "5", "-interval", "2s", "-duration", "20s")
	for _, row := range []string{"RSS, MiB", "open fds", "threads", "CPU per poll, ms"} {
		if !regexp.MustCompile(regexp.QuoteMeta(row) + `.*(ok|GREW)`).MatchString(soak) {
			t.Errorf("soak report lacks a verdict for %q", row)
		}
	}
}
