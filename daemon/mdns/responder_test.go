package mdns

import (
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// query is a packet the fake responder received.
type query struct {
	msg  dnsmessage.Message
	from netip.AddrPort
}

// responder is a fake mDNS responder on a loopback UDP port. For every query
// it passes the query on through queries and sends back the packets answer
// returns (none if answer is nil), as a responder answers a legacy unicast
// query: by unicast to the port the query came from (RFC 6762 §6.7).
type responder struct {
	addr    netip.AddrPort
	queries chan query
}

func newResponder(t *testing.T, network string, answer func(n int, q dnsmessage.Message) [][]byte) *responder {
	t.Helper()
	laddr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	if network == "udp6" {
		laddr = &net.UDPAddr{IP: net.IPv6loopback}
	}
	conn, err := net.ListenUDP(network, laddr)
	if err != nil {
		if noUDPUnderWine(err) {
			t.Skipf("no UDP socket under Wine (%v): Go sets SIO_UDP_CONNRESET on every Windows UDP socket (net/fd_windows.go), which Wine does not implement; real Windows does", err)
		}
		if network == "udp6" {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	r := &responder{addr: conn.LocalAddr().(*net.UDPAddr).AddrPort(), queries: make(chan query, 16)}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 9000)
		for n := 1; ; n++ {
			size, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed by the cleanup
			}
			var m dnsmessage.Message
			if err := m.Unpack(buf[:size]); err != nil {
				t.Errorf("responder: malformed query %x: %v", buf[:size], err)
				continue
			}
			select {
			case r.queries <- query{msg: m, from: from}:
			default:
				t.Errorf("responder: more than %d queries", cap(r.queries))
			}
			if answer == nil || m.ID == sentinelID {
				continue
			}
			for _, pkt := range answer(n, m) {
				if _, err := conn.WriteToUDPAddrPort(pkt, from); errors.Is(err, net.ErrClosed) {
					return // the test is over
				} else if err != nil {
					t.Errorf("responder: send: %v", err)
				}
			}
		}
	})
	t.Cleanup(func() {
		conn.Close()
		wg.Wait()
	})
	return r
}

// noUDPUnderWine reports whether err is Wine's WSAEOPNOTSUPP for the
// SIO_UDP_CONNRESET ioctl, which makes every net.ListenUDP fail there.
func noUDPUnderWine(err error) bool {
	const wsaeopnotsupp = 10045
	return runtime.GOOS == "windows" && errors.Is(err, syscall.Errno(wsaeopnotsupp))
}

// sentinelID marks the packet assertNoQuery sends.
const sentinelID = 0x5e17

// assertNoQuery checks that the responder got no query before now. It sends
// a query of its own and requires it to be the first the responder read:
// a query sent earlier, before the call under test returned, would be
// queued ahead of it on the loopback interface.
func (r *responder) assertNoQuery(t *testing.T) {
	t.Helper()
	c, err := net.ListenUDP("udp", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := dnsmessage.Message{
		Header:    dnsmessage.Header{ID: sentinelID},
		Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName("sentinel.invalid."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
	}
	pkt, err := msg.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteToUDPAddrPort(pkt, r.addr); err != nil {
		t.Fatal(err)
	}
	if q := <-r.queries; q.msg.ID != sentinelID {
		t.Fatalf("a query was sent: %+v", q.msg.Questions)
	}
}

// checkQuery checks q is the legacy unicast query Lookup should send for
// name: a standard query with a non-zero ID, from a port other than 5353,
// asking for A and AAAA in class IN with the unicast-response bit clear.
func checkQuery(t *testing.T, q query, name string) {
	t.Helper()
	h := q.msg.Header
	if h.Response || h.OpCode != 0 || h.ID == 0 || h.RecursionDesired {
		t.Errorf("query header %+v: want a standard query with a non-zero ID and RD clear", h)
	}
	if q.from.Port() == mdnsPort {
		t.Errorf("query came from port %d; a legacy unicast query comes from an ephemeral port", mdnsPort)
	}
	n := dnsmessage.MustNewName(name)
	want := []dnsmessage.Question{
		{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET},
		{Name: n, Type: dnsmessage.TypeAAAA, Class: dnsmessage.ClassINET},
	}
	if !slices.Equal(q.msg.Questions, want) {
		t.Errorf("questions %+v, want %+v", q.msg.Questions, want)
	}
	if len(q.msg.Answers)+len(q.msg.Authorities)+len(q.msg.Additionals) != 0 {
		t.Errorf("query carries records: %+v", q.msg)
	}
}

// rr builds an A or AAAA record (by the address's family) for name.
func rr(name, addr string) dnsmessage.Resource {
	a := netip.MustParseAddr(addr)
	h := dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(name), Class: dnsmessage.ClassINET, TTL: 10}
	if a.Is4() {
		return dnsmessage.Resource{Header: h, Body: &dnsmessage.AResource{A: a.As4()}}
	}
	return dnsmessage.Resource{Header: h, Body: &dnsmessage.AAAAResource{AAAA: a.As16()}}
}

// reply packs a legacy unicast response to q: its ID and questions repeated
// (RFC 6762 §6.7), with the given answers and additional records.
func reply(t *testing.T, q dnsmessage.Message, answers, additionals []dnsmessage.Resource) []byte {
	t.Helper()
	m := dnsmessage.Message{
		Header:      dnsmessage.Header{ID: q.ID, Response: true, Authoritative: true},
		Questions:   q.Questions,
		Answers:     answers,
		Additionals: additionals,
	}
	pkt, err := m.Pack()
	if err != nil {
		t.Errorf("pack reply: %v", err)
	}
	return pkt
}

// testResolver sends its queries to the responders rs only and waits up to
// timeout, resending halfway; after IPv6-only answers it waits for IPv4
// until the timeout too.
func testResolver(timeout time.Duration, rs ...*responder) *resolver {
	res := &resolver{timeout: timeout, resend: timeout / 2, grace: timeout}
	for _, r := range rs {
		res.dests = append(res.dests, r.addr)
	}
	return res
}
