package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth/entratest"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
)

// fakesTB lets the test fakes run in a program: entratest.New takes a
// testing.TB for its cleanup. Only the methods the fakes call are
// implemented; the embedded nil interface makes any other call panic, which
// would show at once in a bench run.
type fakesTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

func (t *fakesTB) Helper() {}

func (t *fakesTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *fakesTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *fakesTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (t *fakesTB) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (t *fakesTB) Logf(format string, args ...any)   {}
func (t *fakesTB) Name() string                      { return "onair-bench" }

// close runs the cleanups, last first, as testing does.
func (t *fakesTB) close() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}

// event is one timestamped thing a fake or a process did: a Graph request
// answered (name = endpoint pattern, status) or a line printed (name = the
// line).
type event struct {
	at     time.Time
	name   string
	status int
}

// events is an append-only, waitable log.
type events struct {
	mu      sync.Mutex
	ev      []event
	changed chan struct{}
}

func newEvents() *events { return &events{changed: make(chan struct{})} }

func (l *events) add(e event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ev = append(l.ev, e)
	close(l.changed)
	l.changed = make(chan struct{})
}

// len returns the number of events so far: an index for wait and since.
func (l *events) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ev)
}

// since returns the events from index i on.
func (l *events) since(i int) []event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ev[min(i, len(l.ev)):])
}

// wait returns the first event at index ≥ from that ok accepts, and its
// index.
func (l *events) wait(ctx context.Context, from int, ok func(event) bool) (int, event, error) {
	for {
		l.mu.Lock()
		for i := from; i < len(l.ev); i++ {
			if ok(l.ev[i]) {
				e := l.ev[i]
				l.mu.Unlock()
				return i, e, nil
			}
		}
		from = len(l.ev)
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return 0, event{}, ctx.Err()
		}
	}
}

// delayed wraps a fake Graph's OnRequest so that each answer is written
// rtt later, as if it had crossed a network (Graph's answers take tens of
// milliseconds to arrive). record runs after the wait, so a latency
// measured from it starts when the answer leaves.
func delayed(rtt time.Duration, record func(graphtest.Request)) func(graphtest.Request) {
	return func(r graphtest.Request) {
		if rtt > 0 {
			time.Sleep(rtt)
		}
		record(r)
	}
}

func isMe(e event) bool { return e.name == graphtest.EndpointMe && e.status == http.StatusOK }

// cloud is one fake Microsoft cloud: Entra ID, against which the real MSAL
// in `onair login` signs in, and a Graph that accepts only the tokens that
// Entra issued. Users: "me" (graphtest.ID(1)) and n colleagues (ID(2)…).
// Graph answers rtt after it decided the answer (see delayed).
type cloud struct {
	entra    *entratest.Server
	graph    *graphtest.Server
	requests *events
	ids      []string // me first
}

func newCloud(tb *fakesTB, colleagues int, rtt time.Duration) *cloud {
	c := &cloud{requests: newEvents(), entra: entratest.New(tb, entratest.Options{})}
	c.graph = graphtest.NewServer(graphtest.Options{
		TLS:       true,
		Authorize: c.entra.ValidAccessToken,
		OnRequest: delayed(rtt, func(r graphtest.Request) {
			c.requests.add(event{at: time.Now(), name: r.Endpoint, status: r.Status})
		}),
	})
	tb.Cleanup(c.graph.Close)
	for i := 1; i <= colleagues+1; i++ {
		id := graphtest.ID(i)
		if i == 1 {
			c.graph.AddUser(id, entratest.Username, entratest.Name)
		} else {
			c.graph.AddUser(id, fmt.Sprintf("user%d@contoso.example", i), fmt.Sprintf("User %d", i))
		}
		c.graph.SetPresence(id, "Available", "Available")
		c.ids = append(c.ids, id)
	}
	return c
}

// presence states the benches flip between, as Graph sends them, as the
// terminal light prints them and as MQTT publishes the activity.
type presence struct{ availability, activity, terminal, mqtt string }

var (
	available = presence{"Available", "Available", "Available/Available", "available"}
	inACall   = presence{"Busy", "InACall", "Busy/InACall", "in_a_call"}
)

// flip returns the other state.
func (p presence) flip() presence {
	if p == available {
		return inACall
	}
	return available
}

// set gives users ids[from:to] presence p.
func (c *cloud) set(from, to int, p presence) {
	for _, id := range c.ids[from:to] {
		c.graph.SetPresence(id, p.availability, p.activity)
	}
}

// caPEM is the certificate every httptest TLS server presents (Go's
// built-in test certificate for 127.0.0.1, ::1 and example.com), so one
// file makes the daemon trust both fakes through SSL_CERT_FILE, which
// crypto/x509 reads on Linux instead of the system bundle.
func caPEM() []byte {
	s := httptest.NewTLSServer(http.NotFoundHandler())
	defer s.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// systemBundles are the first files crypto/x509 looks for on Linux
// (src/crypto/x509/root_linux.go).
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// writeCAFile writes the system bundle followed by the fakes' certificate:
// the processes under test load as many roots as they would in real use,
// so that the roots' memory is in RSS as it is on a user's machine.
func writeCAFile(path string) ([]byte, error) {
	ca := caPEM()
	var bundle []byte
	for _, f := range systemBundles {
		if b, err := os.ReadFile(f); err == nil {
			bundle = append(b, '\n')
			break
		}
	}
	return ca, os.WriteFile(path, append(bundle, ca...), 0o600)
}

// checkTrust fails unless a TLS client that trusts only ca reaches each URL:
// should a fake ever get its own certificate, the bench says so instead of
// measuring a daemon that cannot sign in.
func checkTrust(ca []byte, urls ...string) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return errors.New("no certificate in the CA file")
	}
	for _, u := range urls {
		pu, err := url.Parse(u)
		if err != nil {
			return err
		}
		conn, err := tls.Dial("tcp", pu.Host, &tls.Config{RootCAs: pool})
		if err != nil {
			return fmt.Errorf("the fake at %s does not present httptest's certificate: %w", u, err)
		}
		conn.Close()
	}
	return nil
}

// daemonSetup is one onair's private directory: config, token cache,
// control socket and logs, and the environment that points it there.
type daemonSetup struct {
	bin    string
	dir    string
	config string
	env    []string
}

// newDaemonSetup writes config.yaml under dir: the graph section points at
// the fakes (authority and base_url are onair config keys for exactly
// this) and extra is appended verbatim (users, mqtt, …).
func newDaemonSetup(bin, dir, caFile string, c *cloud, interval time.Duration, extra string) (*daemonSetup, error) {
	d := &daemonSetup{bin: bin, dir: dir, config: filepath.Join(dir, "config.yaml")}
	for _, sub := range []string{"config", "state", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	cfg := fmt.Sprintf("version: 1\ngraph:\n  client_id: %s\n  authority: %s\n  base_url: %s\n  interval: %s\n%s",
		entratest.ClientID, c.entra.Authority(), c.graph.URL(), interval, extra)
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	d.env = append(os.Environ(),
		"HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"XDG_RUNTIME_DIR="+filepath.Join(dir, "run"),
		"SSL_CERT_FILE="+caFile,
	)
	return d, nil
}

// login runs `onair login`: the real MSAL device-code flow against the
// fake Entra ID, which approves at once, leaving a token cache.
func (d *daemonSetup) login(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, "--config", d.config, "login")
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s login: %w\n%s", d.bin, err, out)
	}
	return nil
}

// statusJSON runs `onair status --json` and returns its output.
func (d *daemonSetup) statusJSON(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, "--config", d.config, "status", "--json")
	cmd.Env = d.env
	return cmd.Output()
}

// process is a running program whose stdout lines are timestamped as they
// arrive.
type process struct {
	name   string
	cmd    *exec.Cmd
	lines  *events
	stderr string // file
	done   chan struct{}
	err    error
}

// start starts bin with args and env; stderr goes to stderrFile.
func start(name, bin string, args, env []string, stderrFile string) (*process, error) {
	p := &process{name: name, lines: newEvents(), stderr: stderrFile, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	ef, err := os.Create(stderrFile)
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = ef
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		ef.Close()
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		ef.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.lines.add(event{at: time.Now(), name: sc.Text()})
		}
		_, _ = io.Copy(io.Discard, out)
		p.err = p.cmd.Wait()
		ef.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// alive fails if the process has exited, quoting the end of its stderr.
func (p *process) alive() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v); end of its stderr:\n%s", p.name, p.err, tail(p.stderr, 2000))
	default:
		return nil
	}
}

// stop sends SIGTERM and waits, then kills after 15 s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitLine waits for a stdout line at index ≥ from containing s.
func (p *process) waitLine(ctx context.Context, from int, s string) (event, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, e, err := p.lines.wait(ctx, from, func(e event) bool { return strings.Contains(e.name, s) })
	if err != nil {
		if a := p.alive(); a != nil {
			return e, a
		}
		return e, fmt.Errorf("%s printed no line with %q: %w", p.name, s, err)
	}
	return e, nil
}

// tail returns the last n bytes of a file.
func tail(file string, n int64) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}

// copyBinary copies the executable bin into dir, keeping its name.
func copyBinary(bin, dir string) (string, error) {
	src, err := os.Open(bin)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst := filepath.Join(dir, filepath.Base(bin))
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return "", fmt.Errorf("copy %s: %w", bin, err)
	}
	return dst, f.Close()
}
