// Package web serves a door sign per watched user (/sign/<user>), a presence
// board of every watched user (/), and a read-only JSON and Server-Sent
// Events API (/api/v1/state, /api/v1/events), all live from the daemon's
// snapshots.
//
// It is not a control surface: it answers GET and HEAD only and changes
// nothing in the daemon (the control socket does that). The pages are plain
// HTML, CSS and ES5 JavaScript embedded in the binary, so an old wall tablet
// can show them and nothing is fetched from elsewhere. The top-level
// README.md documents the endpoints and event types.
package web

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/secret"
)

// DefaultListen is where the web output listens unless configured otherwise:
// loopback only, so nothing is exposed until the user decides to. Port 8765
// is clear of the ports local development servers usually take (3000, 5000,
// 8000, 8080, 8443) and needs no privileges; IANA lists it for Ultraseek
// HTTP, a search appliance long out of production.
const DefaultListen = "127.0.0.1:8765"

// Heartbeat is how often the events stream sends a heartbeat event. The
// pages declare the daemon unreachable after missing about three of them
// (8 s), inside the 10 s a door sign may show a stale signal.
const Heartbeat = 3 * time.Second

// Options configures the web output (the `web:` section of the config).
type Options struct {
	// Enabled turns the web output on. Default false.
	Enabled bool `yaml:"enabled"`
	// Listen is host:port to listen on. Default 127.0.0.1:8765. A host that
	// is not loopback needs Token (or TokenFile/TokenEnv) or Allow.
	Listen string `yaml:"listen"`
	// Token is the read token a client must present: ?token=… in the URL
	// (for kiosks, whose EventSource cannot send headers) or
	// "Authorization: Bearer …". Prefer TokenFile or TokenEnv to keep it out
	// of the config file. Default: none.
	Token secret.Secret `yaml:"token"`
	// TokenFile is a file whose content (trimmed) is the read token.
	TokenFile string `yaml:"token_file"`
	// TokenEnv names an environment variable holding the read token.
	TokenEnv string `yaml:"token_env"`
	// Allow lists the networks (CIDR, "192.168.1.0/24", or a bare address)
	// clients may connect from. Loopback is always allowed. Default: any
	// (subject to the token).
	Allow []string `yaml:"allow"`
	// TLSCert and TLSKey are PEM files; with both set the output serves
	// HTTPS. Default: plain HTTP.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`

	// State returns the `onair status --json` document for /api/v1/state.
	// The daemon injects it; when nil the output serves a document built
	// from the last snapshot with the same field names.
	State func() any `yaml:"-" json:"-"`
	// Outputs returns the status of every output, shown on the board. May
	// be nil.
	Outputs func() []output.Status `yaml:"-" json:"-"`
	// Logger receives the output's logs. Default: discard.
	Logger *slog.Logger `yaml:"-" json:"-"`
}

// Validate reports every problem with o, each saying what to change. It
// reads TokenFile, TokenEnv and the TLS files, so a missing file shows up
// in `onair config check` rather than at start.
func (o *Options) Validate() error {
	var errs []error
	listen := o.listen()
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		errs = append(errs, fmt.Errorf("listen: %q is not host:port (example: %q): %v", listen, DefaultListen, err))
	} else if port == "" {
		errs = append(errs, fmt.Errorf("listen: %q has no port (example: %q)", listen, DefaultListen))
	}
	n := 0
	for _, s := range []string{o.Token.Reveal(), o.TokenFile, o.TokenEnv} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		errs = append(errs, errors.New("token, token_file, token_env: set only one of them"))
	}
	tok, terr := o.token()
	if terr != nil {
		errs = append(errs, terr)
	}
	if _, err := parseAllow(o.Allow); err != nil {
		errs = append(errs, err)
	}
	if err == nil && !isLoopback(host) && n == 0 && len(o.Allow) == 0 {
		errs = append(errs, fmt.Errorf("listen: %q is reachable beyond this machine: set token_file (or token_env) to a read token, or allow to the networks that may connect (for example [192.168.1.0/24]), or listen on 127.0.0.1", listen))
	}
	if terr == nil && n > 0 && len(tok) < 16 {
		errs = append(errs, fmt.Errorf("token: %d characters is too short to resist guessing: use at least 16 (for example the output of `openssl rand -hex 16`)", len(tok)))
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert, tls_key: set both (PEM certificate and key files) or neither"))
	} else if o.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey); err != nil {
			errs = append(errs, fmt.Errorf("tls_cert, tls_key: %v", err))
		}
	}
	return errors.Join(errs...)
}

func (o *Options) listen() string {
	if o.Listen == "" {
		return DefaultListen
	}
	return o.Listen
}

// token resolves the read token, "" when none is configured.
func (o *Options) token() (string, error) {
	switch {
	case o.TokenFile != "":
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return "", fmt.Errorf("token_file: %v", err)
		}
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", fmt.Errorf("token_file: %s is empty: write the read token into it", o.TokenFile)
		}
		return t, nil
	case o.TokenEnv != "":
		t := strings.TrimSpace(os.Getenv(o.TokenEnv))
		if t == "" {
			return "", fmt.Errorf("token_env: environment variable %s is not set or empty: set it where the daemon runs", o.TokenEnv)
		}
		return t, nil
	}
	return o.Token.Reveal(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func parseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var errs []error
	for i, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		errs = append(errs, fmt.Errorf("allow[%d]: %q is not a network: use CIDR notation (192.168.1.0/24, fd00::/8) or an address", i, s))
	}
	return out, errors.Join(errs...)
}

// Web is the web output. It implements output.Output.
type Web struct {
	opts  Options
	log   *slog.Logger
	token []byte
	allow []netip.Prefix
	cert  *tls.Certificate

	hub  *hub
	snap atomic.Pointer[output.Snapshot]

	mu      sync.Mutex
	addr    string // bound address once listening
	runErr  string
	running bool
	started chan struct{}
}

var _ output.Output = (*Web)(nil)

// New checks o and returns the web output. It does not listen yet; Run does.
func New(o Options) (*Web, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	tok, _ := o.token()
	allow, _ := parseAllow(o.Allow)
	w := &Web{opts: o, log: o.Logger, allow: allow, hub: newHub(), started: make(chan struct{})}
	if tok != "" {
		w.token = []byte(tok)
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if o.TLSCert != "" {
		c, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("web: tls_cert, tls_key: %w", err)
		}
		w.cert = &c
	}
	return w, nil
}

// Name implements output.Output.
func (w *Web) Name() string { return "web" }

// Started is closed once Run listens (or failed to).
func (w *Web) Started() <-chan struct{} { return w.started }

// URL is the base URL the output serves, "" before it listens.
func (w *Web) URL() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.addr == "" {
		return ""
	}
	if w.cert != nil {
		return "https://" + w.addr
	}
	return "http://" + w.addr
}

// Status implements output.Output.
func (w *Web) Status() []output.Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := output.Status{Name: "web", Kind: "web"}
	switch {
	case w.runErr != "":
		st.State, st.Detail = "error", w.runErr
	case w.running:
		scheme := "http"
		if w.cert != nil {
			scheme = "https"
		}
		st.State = "listening"
		st.Detail = fmt.Sprintf("%s://%s/ (%d connected)", scheme, w.addr, w.hub.count())
	default:
		st.State = "stopped"
	}
	return []output.Status{st}
}

// Run implements output.Output: it listens, serves, and feeds every
// snapshot from mb to the connected pages until ctx is done.
func (w *Web) Run(ctx context.Context, mb *output.Mailbox) error {
	ln, err := net.Listen("tcp", w.opts.listen())
	if err != nil {
		w.mu.Lock()
		w.runErr = err.Error()
		w.mu.Unlock()
		close(w.started)
		return fmt.Errorf("web: listen: %w (is another onair or program using %s? change web.listen)", err, w.opts.listen())
	}
	if w.cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*w.cert}, MinVersion: tls.VersionTLS12})
	}
	srv := &http.Server{
		Handler:           w.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(w.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	w.mu.Lock()
	w.addr, w.running = ln.Addr().String(), true
	w.mu.Unlock()
	close(w.started)
	w.log.Info("web output listening", "url", w.URL()+"/")

	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Go(func() { serveErr <- srv.Serve(ln) })
	wg.Go(func() { w.feed(ctx, mb) })

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("web: serve: %w", err)
		w.mu.Lock()
		w.runErr = err.Error()
		w.mu.Unlock()
	}
	// Streams end with the server: the pages notice within seconds and
	// show "onair unreachable" rather than a frozen signal.
	w.hub.closeAll()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	wg.Wait()
	w.mu.Lock()
	w.running = false
	w.mu.Unlock()
	return runErr
}

// feed turns snapshots into events for the connected pages until ctx is
// done (or the server failed and closed the hub).
func (w *Web) feed(ctx context.Context, mb *output.Mailbox) {
	var prev *output.Snapshot
	var lastHealth string
	last := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.hub.done:
			return
		case s := <-mb.C():
			w.snap.Store(s)
			ev := w.events(prev, s, last, &lastHealth)
			if len(ev) > 0 {
				w.hub.publish(ev)
			}
			prev = s
		}
	}
}

// Handler returns the HTTP handler with authentication and security headers;
// Run serves it, tests may too.
func (w *Web) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", w.serveBoard)
	mux.HandleFunc("/sign/{user}", w.serveSign)
	mux.HandleFunc("/api/v1/state", w.serveState)
	mux.HandleFunc("/api/v1/events", w.serveEvents)
	mux.Handle("/static/", http.StripPrefix("/static/", staticHandler()))
	return w.guard(mux)
}

// guard applies what every response needs: read-only methods, the network
// allow-list, the read token, and strict headers.
func (w *Web) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		// No inline script or style anywhere: the pages load their JS and
		// CSS as files, so an injected string cannot run.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(rw, "onair's web output is read-only: use GET", http.StatusMethodNotAllowed)
			return
		}
		if !w.allowed(r.RemoteAddr) {
			http.Error(rw, "forbidden: this address is not in web.allow", http.StatusForbidden)
			return
		}
		// The static files are the same for everyone and hold no data, so
		// a kiosk page's script loads without the token in its URL.
		if len(w.token) > 0 && !strings.HasPrefix(r.URL.Path, "/static/") && !w.authorized(r) {
			h.Set("WWW-Authenticate", `Bearer realm="onair"`)
			http.Error(rw, "unauthorized: add ?token=<read token> to the URL or send Authorization: Bearer <read token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *Web) allowed(remote string) bool {
	if len(w.allow) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	a := ap.Addr().Unmap()
	if a.IsLoopback() {
		return true
	}
	for _, p := range w.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (w *Web) authorized(r *http.Request) bool {
	got := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); got == "" && len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		got = strings.TrimSpace(a[7:])
	}
	return subtle.ConstantTimeCompare([]byte(got), w.token) == 1
}
