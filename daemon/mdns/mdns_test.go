package mdns

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// long is a timeout no passing test reaches; a test that hangs fails with
// it instead of with go test's own.
const long = 10 * time.Second

func addrs(s ...string) []netip.Addr {
	var a []netip.Addr
	for _, x := range s {
		a = append(a, netip.MustParseAddr(x))
	}
	return a
}

func TestLookupFound(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		// The AAAA answer comes first; Lookup still returns IPv4 first.
		return [][]byte{reply(t, q, []dnsmessage.Resource{
			rr("broker.local.", "2001:db8::1"),
			rr("broker.local.", "192.0.2.1"),
			rr("broker.local.", "fd00::2"),
			rr("broker.local.", "192.0.2.2"),
		}, nil)}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1", "192.0.2.2", "2001:db8::1", "fd00::2"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	checkQuery(t, <-r.queries, "broker.local.")
}

func TestLookupNameCase(t *testing.T) {
	for _, tc := range []struct{ host, query, answer string }{
		{"broker.local", "broker.local.", "broker.local."},
		{"broker.local.", "broker.local.", "broker.local."},
		{"Broker.LOCAL", "Broker.LOCAL.", "bRoKeR.lOcAl."},
		{"BROKER.Local.", "BROKER.Local.", "broker.local."},
		{"home-assistant.local", "home-assistant.local.", "HOME-ASSISTANT.LOCAL."},
	} {
		t.Run(tc.host, func(t *testing.T) {
			r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
				return [][]byte{reply(t, q, []dnsmessage.Resource{rr(tc.answer, "192.0.2.1")}, nil)}
			})
			got, err := testResolver(long, r).lookup(t.Context(), tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			checkQuery(t, <-r.queries, tc.query)
		})
	}
}

// TestLookupWaitsForIPv4: one responder answers with only an IPv6 address
// (as Avahi does over IPv6), the other with both; whichever comes first,
// the result has the IPv4 address first.
func TestLookupWaitsForIPv4(t *testing.T) {
	v6only := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "2001:db8::1")}, nil)}
	})
	both := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "2001:db8::1"), rr("broker.local.", "192.0.2.1")}, nil)}
	})
	got, err := testResolver(long, v6only, both).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1", "2001:db8::1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLookupIPv6Only: with no IPv4 answer, the IPv6 addresses are returned
// after the grace period, not after the whole timeout, and not as an error.
func TestLookupIPv6Only(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "2001:db8::1"), rr("broker.local.", "fe80::1")}, nil)}
	})
	res := testResolver(long, r)
	res.grace = 20 * time.Millisecond
	got, err := res.lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("2001:db8::1", "fe80::1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLookupIPv6OnlyAtDeadline: an IPv6 answer still counts when the
// deadline comes before the grace period ends.
func TestLookupIPv6OnlyAtDeadline(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "2001:db8::1")}, nil)}
	})
	// The timeout only needs to outlast one answer over loopback.
	got, err := testResolver(500*time.Millisecond, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("2001:db8::1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLookupAdditionalSection(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		// The A answer in the answer section, the AAAA record next to it
		// in the additional section (RFC 6762 §6.2), and the cache-flush
		// bit set on both, as some responders do even in unicast replies.
		a, aaaa := rr("broker.local.", "192.0.2.1"), rr("broker.local.", "2001:db8::1")
		a.Header.Class |= cacheFlush
		aaaa.Header.Class |= cacheFlush
		return [][]byte{reply(t, q, []dnsmessage.Resource{a}, []dnsmessage.Resource{aaaa, rr("other.local.", "192.0.2.9")})}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1", "2001:db8::1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLookupOnlyAdditionalSection(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, nil, []dnsmessage.Resource{rr("broker.local.", "192.0.2.1")})}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLookupIgnoresUnrelated sends every response Lookup must ignore before
// the one it must take: had it taken any of them, it would have returned
// other addresses.
func TestLookupIgnoresUnrelated(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		good := rr("broker.local.", "192.0.2.1")
		withHeader := func(f func(*dnsmessage.Header)) []byte {
			m := dnsmessage.Message{
				Header:    dnsmessage.Header{ID: q.ID, Response: true},
				Questions: q.Questions,
				Answers:   []dnsmessage.Resource{rr("broker.local.", "192.0.2.66")},
			}
			f(&m.Header)
			pkt, err := m.Pack()
			if err != nil {
				t.Error(err)
			}
			return pkt
		}
		chaos := rr("broker.local.", "192.0.2.67")
		chaos.Header.Class = dnsmessage.ClassCHAOS
		goodbye := rr("broker.local.", "192.0.2.68")
		goodbye.Header.TTL = 0
		txt := dnsmessage.Resource{
			Header: dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName("broker.local."), Class: dnsmessage.ClassINET, TTL: 10},
			Body:   &dnsmessage.TXTResource{TXT: []string{"192.0.2.69"}},
		}
		return [][]byte{
			reply(t, q, []dnsmessage.Resource{rr("other.local.", "192.0.2.70"), rr("broker.local.other.", "192.0.2.71")}, nil),
			reply(t, q, []dnsmessage.Resource{chaos, goodbye, txt}, nil),
			withHeader(func(h *dnsmessage.Header) { h.ID = q.ID + 1 }),    // another query's answer
			withHeader(func(h *dnsmessage.Header) { h.Response = false }), // a query, not a response
			withHeader(func(h *dnsmessage.Header) { h.RCode = dnsmessage.RCodeNameError }),
			withHeader(func(h *dnsmessage.Header) { h.OpCode = 2 }),
			reply(t, q, nil, nil), // an empty response
			reply(t, q, []dnsmessage.Resource{good}, nil),
		}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLookupAcceptsIDZero: responses in multicast style carry ID 0, to be
// ignored on reception (RFC 6762 §18.1).
func TestLookupAcceptsIDZero(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		q.ID = 0
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "192.0.2.1")}, nil)}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLookupIgnoresMalformed(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		good := reply(t, q, []dnsmessage.Resource{rr("broker.local.", "192.0.2.1")}, nil)
		bad := reply(t, q, []dnsmessage.Resource{rr("broker.local.", "192.0.2.66")}, nil)
		lying := slices.Clone(bad)
		lying[7] = 9 // the header claims 9 answers, the packet holds 1
		return [][]byte{
			{},
			[]byte("not DNS at all"),
			bad[:5],          // half a header
			bad[:len(bad)-2], // the answer's address cut short
			lying,
			good,
		}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLookupResends: the first query is lost; the resend is answered.
func TestLookupResends(t *testing.T) {
	r := newResponder(t, "udp4", func(n int, q dnsmessage.Message) [][]byte {
		if n == 1 {
			return nil
		}
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "192.0.2.1")}, nil)}
	})
	res := testResolver(long, r)
	res.resend = 10 * time.Millisecond
	got, err := res.lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	first, second := <-r.queries, <-r.queries
	checkQuery(t, first, "broker.local.")
	checkQuery(t, second, "broker.local.")
}

func TestLookupNoAnswer(t *testing.T) {
	r := newResponder(t, "udp4", nil)
	start := time.Now()
	_, err := testResolver(100*time.Millisecond, r).lookup(t.Context(), "homeassistant.local")
	if err == nil {
		t.Fatal("lookup succeeded with nobody answering")
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("gave up after %v, before the 100ms timeout", took)
	}
	for _, want := range []string{"no answer for homeassistant.local within 100ms", "on this network", "Use its IP address in the config"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %q is not a context.DeadlineExceeded", err)
	}
	// The resend is TestLookupResends's: whether it left before the
	// timeout fired depends on the scheduler.
	checkQuery(t, <-r.queries, "homeassistant.local.")
}

// TestLookupContextDeadline: a deadline earlier than the resolver's own
// timeout ends the lookup and is the wait the error names.
func TestLookupContextDeadline(t *testing.T) {
	r := newResponder(t, "udp4", nil)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := testResolver(long, r).lookup(ctx, "broker.local")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer for broker.local within") {
		t.Fatalf("got %v, want a timeout error", err)
	}
	if strings.Contains(err.Error(), "within 10s") {
		t.Errorf("error %q names the resolver's timeout, not the context's", err)
	}
}

func TestLookupCanceled(t *testing.T) {
	r := newResponder(t, "udp4", nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := testResolver(long, r).lookup(ctx, "broker.local")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "broker.local") {
		t.Fatalf("got %v, want a context.Canceled error naming the host", err)
	}
}

func TestLookupRefusesOtherNames(t *testing.T) {
	r := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr(q.Questions[0].Name.String(), "192.0.2.1")}, nil)}
	})
	for _, tc := range []struct{ host, want string }{
		{"example.com", `"example.com" is not a .local name`},
		{"homeassistant.localhost", "is not a .local name"},
		{"homeassistant.local.example", "is not a .local name"},
		{"local", "is not a .local name"},
		{".local", "is not a .local name"},
		{"", "is not a .local name"},
		{"192.168.1.10", "is not a .local name"},
		{"a..local", "every dot-separated label needs 1 to 63 bytes"},
		{strings.Repeat("x", 64) + ".local", "every dot-separated label needs 1 to 63 bytes"},
		{strings.Repeat("abcdefg.", 32) + "local", "a DNS name has at most 253"},
	} {
		_, err := testResolver(long, r).lookup(t.Context(), tc.host)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lookup(%q): got %v, want an error saying %q", tc.host, err, tc.want)
		}
	}
	r.assertNoQuery(t)
}

func TestLookupIPv6(t *testing.T) {
	r := newResponder(t, "udp6", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "::1"), rr("broker.local.", "127.0.0.1")}, nil)}
	})
	got, err := testResolver(long, r).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("127.0.0.1", "::1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	checkQuery(t, <-r.queries, "broker.local.")
}

// TestLookupEveryDestination: the query goes to every destination, and a
// silent one does not hold up the answer of another.
func TestLookupEveryDestination(t *testing.T) {
	silent := newResponder(t, "udp4", nil)
	answering := newResponder(t, "udp4", func(_ int, q dnsmessage.Message) [][]byte {
		return [][]byte{reply(t, q, []dnsmessage.Resource{rr("broker.local.", "192.0.2.1")}, nil)}
	})
	got, err := testResolver(long, silent, answering).lookup(t.Context(), "broker.local")
	if err != nil {
		t.Fatal(err)
	}
	if want := addrs("192.0.2.1"); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	checkQuery(t, <-silent.queries, "broker.local.")
	checkQuery(t, <-answering.queries, "broker.local.")
}

func TestGroupDestinations(t *testing.T) {
	dests := groupDestinations()
	if want := netip.MustParseAddrPort("224.0.0.251:5353"); len(dests) == 0 || dests[0] != want {
		t.Fatalf("destinations %v do not start with %v", dests, want)
	}
	for _, d := range dests[1:] {
		if d.Addr().WithZone("") != groupV6 || d.Addr().Zone() == "" || d.Port() != mdnsPort {
			t.Errorf("destination %v: want [ff02::fb%%interface]:5353", d)
		}
	}
}

func TestIsLocal(t *testing.T) {
	for host, want := range map[string]bool{
		"homeassistant.local": true, "homeassistant.local.": true, "HomeAssistant.LOCAL": true,
		"a.b.local": true, "local": false, ".local": false, "local.": false, "xlocal": false,
		"homeassistant.lan": false, "homeassistant.local.lan": false, "": false, "10.0.0.1": false,
	} {
		if got := isLocal(host); got != want {
			t.Errorf("isLocal(%q) = %v, want %v", host, got, want)
		}
	}
}
