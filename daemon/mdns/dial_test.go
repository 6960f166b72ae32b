package mdns

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// A Dialer fits where the outputs dial: http.Transport.DialContext, and
// golang.org/x/net/proxy's forward Dialer (Dial) and ContextDialer.
var (
	_ = &http.Transport{DialContext: (&Dialer{}).DialContext}
	_ interface {
		Dial(network, address string) (net.Conn, error)
		DialContext(ctx context.Context, network, address string) (net.Conn, error)
	} = (*Dialer)(nil)
)

// noDNS is a net.Dialer whose resolver has no DNS server, so any name not in
// the hosts file fails with a *net.DNSError, as .local names do on a build
// whose resolver cannot do mDNS.
func noDNS() *net.Dialer {
	return &net.Dialer{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no DNS server in this test")
		},
	}}
}

// answering is a responder giving addr for any name asked.
func answering(t *testing.T, addr ...string) *responder {
	return newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		var rrs []dnsmessage.Resource
		for _, a := range addr {
			rrs = append(rrs, rr(q.Questions[0].Name.String(), a))
		}
		return [][]byte{reply(t, q, rrs, nil)}
	})
}

// listen returns a TCP listener on 127.0.0.1 and its port.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// skipIfResolves skips when the hosts file or DNS here knows host after
// all: then the fallback under test is never reached.
func skipIfResolves(t *testing.T, d *net.Dialer, host string) {
	t.Helper()
	r := d.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	if a, err := r.LookupHost(t.Context(), host); err == nil {
		t.Skipf("the system resolver here knows %s (%v), so the mDNS fallback cannot be tested", host, a)
	}
}

// checkDial dials through d and checks the connection reached l.
func checkDial(t *testing.T, d *Dialer, l net.Listener, network, address string) {
	t.Helper()
	conn, err := d.DialContext(t.Context(), network, address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got, want := conn.RemoteAddr().String(), l.Addr().String(); got != want {
		t.Errorf("connected to %s, want %s", got, want)
	}
	// The listener's backlog holds the connection whether or not it was
	// accepted yet; Accept returns it.
	peer, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	peer.Close()
}

func TestDialFallsBackToMDNS(t *testing.T) {
	l, port := listen(t)
	r := answering(t, "127.0.0.1")
	d := &Dialer{Dialer: noDNS(), resolver: testResolver(long, r)}
	skipIfResolves(t, d.Dialer, "broker.local")
	checkDial(t, d, l, "tcp", "broker.local:"+port)
	checkQuery(t, <-r.queries, "broker.local.")

	// Dial, without a context, takes the same way.
	conn, err := d.Dial("tcp", "broker.local:"+port)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	checkQuery(t, <-r.queries, "broker.local.")
}

// TestDialFallsBackWithSystemResolver is the same through Go's own
// resolver with this machine's hosts file and DNS servers, as in the netgo
// builds this package is for; they do not know broker.local on a test
// machine.
func TestDialFallsBackWithSystemResolver(t *testing.T) {
	l, port := listen(t)
	r := answering(t, "127.0.0.1")
	d := &Dialer{Dialer: &net.Dialer{Resolver: &net.Resolver{PreferGo: true}}, resolver: testResolver(long, r)}
	skipIfResolves(t, d.Dialer, "broker.local")
	checkDial(t, d, l, "tcp", "broker.local:"+port)
}

// TestDialTriesEveryAddress: the first address mDNS gives (IPv4, tried
// first) refuses, the next (IPv6) connects.
func TestDialTriesEveryAddress(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	// Make sure nothing listens on the same port over IPv4.
	l4, err := net.Listen("tcp4", "127.0.0.1:"+port)
	if err != nil {
		t.Skipf("127.0.0.1:%s is taken: %v", port, err)
	}
	l4.Close()
	r := answering(t, "::1", "127.0.0.1")
	d := &Dialer{Dialer: noDNS(), resolver: testResolver(long, r)}
	skipIfResolves(t, d.Dialer, "broker.local")
	checkDial(t, d, l, "tcp", "broker.local:"+port)
}

func TestDialNoMDNSForOtherNames(t *testing.T) {
	r := answering(t, "127.0.0.1")
	d := &Dialer{Dialer: noDNS(), resolver: testResolver(long, r)}
	skipIfResolves(t, d.Dialer, "broker.example")
	_, port := listen(t)
	_, err := d.DialContext(t.Context(), "tcp", "broker.example:"+port)
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) {
		t.Fatalf("got %v, want the system resolver's *net.DNSError", err)
	}
	if strings.Contains(err.Error(), "mdns") {
		t.Errorf("error %q mentions mDNS for a name outside .local", err)
	}
	r.assertNoQuery(t)
}

// TestDialNoMDNSWhenDialWorks: a .local name the system resolves, here
// through a literal address, is never asked for.
func TestDialNoMDNSWhenDialWorks(t *testing.T) {
	l, port := listen(t)
	r := answering(t, "192.0.2.1")
	d := &Dialer{resolver: testResolver(long, r)}
	checkDial(t, d, l, "tcp", "127.0.0.1:"+port)
	r.assertNoQuery(t)
}

func TestDialNoAnswer(t *testing.T) {
	r := newResponder(t, "udp4", nil)
	d := &Dialer{Dialer: noDNS(), resolver: testResolver(50*time.Millisecond, r)}
	skipIfResolves(t, d.Dialer, "broker.local")
	_, err := d.DialContext(t.Context(), "tcp", "broker.local:1883")
	if err == nil {
		t.Fatal("dial succeeded with nobody answering")
	}
	for _, want := range []string{
		"lookup broker.local", "no DNS server in this test", // what the system resolver said
		"mdns: no answer for broker.local within 50ms", "Use its IP address in the config", // what mDNS said
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q should match both the *net.DNSError and the mDNS timeout", err)
	}
}

func TestDialAllAddressesFail(t *testing.T) {
	l, port := listen(t)
	l.Close() // nothing listens on port any more
	r := answering(t, "127.0.0.1")
	d := &Dialer{Dialer: noDNS(), resolver: testResolver(long, r)}
	skipIfResolves(t, d.Dialer, "broker.local")
	_, err := d.DialContext(t.Context(), "tcp", "broker.local:"+port)
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	for _, want := range []string{"no DNS server in this test", "mdns: broker.local is at 127.0.0.1, but dial tcp 127.0.0.1:" + port} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestDialNoAddressForNetwork(t *testing.T) {
	r := answering(t, "192.0.2.1")
	d := &Dialer{Dialer: noDNS(), resolver: testResolver(long, r)}
	skipIfResolves(t, d.Dialer, "broker.local")
	_, err := d.DialContext(t.Context(), "tcp6", "broker.local:1883")
	if err == nil || !strings.Contains(err.Error(), "mdns: broker.local has no address for network tcp6") {
		t.Fatalf("got %v, want an error saying there is no IPv6 address", err)
	}
}

func TestForNetwork(t *testing.T) {
	all := addrs("192.0.2.1", "::ffff:192.0.2.2", "2001:db8::1")
	for network, want := range map[string][]netip.Addr{
		"tcp":  all,
		"udp":  all,
		"tcp4": addrs("192.0.2.1", "::ffff:192.0.2.2"),
		"udp4": addrs("192.0.2.1", "::ffff:192.0.2.2"),
		"tcp6": addrs("2001:db8::1"),
		"udp6": addrs("2001:db8::1"),
	} {
		if got := forNetwork(network, all); !slices.Equal(got, want) {
			t.Errorf("forNetwork(%q) = %v, want %v", network, got, want)
		}
	}
}
