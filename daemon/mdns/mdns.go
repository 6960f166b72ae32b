package mdns

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DefaultTimeout bounds a Lookup whose context has no earlier deadline. A
// responder on the local link answers within a few hundred milliseconds
// (RFC 6762 §6 delays shared answers by 20–120 ms), so 2 s with one resend
// covers a lost packet without stalling a dial for long.
const DefaultTimeout = 2 * time.Second

// mdnsPort is the port the Multicast DNS groups listen on (RFC 6762 §3).
const mdnsPort = 5353

// cacheFlush is the top bit of a resource record's class in mDNS answers
// (RFC 6762 §10.2); it is no part of the class itself.
const cacheFlush = 1 << 15

var (
	groupV4 = netip.AddrFrom4([4]byte{224, 0, 0, 251})
	groupV6 = netip.MustParseAddr("ff02::fb")
)

// ipv4Grace is how long Lookup waits for an IPv4 address once it has only
// IPv6 ones. Avahi, for one, answers a query that reached it over IPv6 with
// AAAA records only (its publish-a-on-ipv6 is off by default), and the
// answer over IPv4, with both, follows within milliseconds: responders send
// unique records such as addresses without delay (RFC 6762 §6).
const ipv4Grace = 100 * time.Millisecond

// resolver is one Lookup's parameters; tests point dests at a fake responder.
type resolver struct {
	timeout time.Duration    // the whole lookup, unless ctx ends it earlier
	resend  time.Duration    // after this the query is sent once more
	grace   time.Duration    // the wait for IPv4 after IPv6-only answers
	dests   []netip.AddrPort // nil: the mDNS groups (groupDestinations)
}

var defaultResolver = &resolver{timeout: DefaultTimeout, resend: DefaultTimeout / 2, grace: ipv4Grace}

// Lookup asks the local network for the addresses of host, which must end in
// ".local" (any case, with or without a trailing dot); other names get an
// error and no packet is sent. It returns the IPv4 addresses first, then the
// IPv6 ones, as soon as a response has given an IPv4 address for host, or a
// short while after responses gave only IPv6 ones. It gives up after
// DefaultTimeout or when ctx ends, whichever comes first.
func Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return defaultResolver.lookup(ctx, host)
}

func (r *resolver) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	name, err := queryName(host)
	if err != nil {
		return nil, err
	}
	display := strings.TrimSuffix(name, ".")
	query, id, err := newQuery(name)
	if err != nil {
		return nil, fmt.Errorf("mdns: build query for %s: %w", display, err)
	}

	wait := r.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = max(time.Until(dl), 0)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()

	dests := r.dests
	if dests == nil {
		dests = groupDestinations()
	}
	socks, err := openSockets(dests)
	if err != nil {
		return nil, fmt.Errorf("mdns: look up %s: %w", display, err)
	}
	answers := make(chan []netip.Addr)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range socks {
		wg.Go(func() { s.read(name, id, answers, done) })
	}
	// Closing the sockets ends the readers' blocked reads; done ends a
	// reader waiting to hand over an answer nobody takes any more.
	defer func() {
		close(done)
		for _, s := range socks {
			s.conn.Close()
		}
		wg.Wait()
	}()

	if err := send(socks, query); err != nil {
		return nil, fmt.Errorf("mdns: send query for %s: %w: is this machine connected to a network?", display, err)
	}
	resend := time.NewTimer(r.resend)
	defer resend.Stop()
	grace := time.NewTimer(r.grace)
	grace.Stop() // started by the first IPv6-only answer
	defer grace.Stop()
	var found []netip.Addr
	for {
		select {
		case addrs := <-answers:
			first := len(found) == 0
			found = merge(found, addrs)
			if found[0].Unmap().Is4() {
				return found, nil
			}
			if first {
				grace.Reset(r.grace)
			}
		case <-grace.C:
			return found, nil
		case <-resend.C:
			// Best effort: the first send worked, and a failure now
			// leaves the first query still answerable.
			_ = send(socks, query)
		case <-ctx.Done():
			if errors.Is(parent.Err(), context.Canceled) {
				return nil, fmt.Errorf("mdns: look up %s: %w", display, context.Cause(parent))
			}
			if len(found) > 0 {
				return found, nil
			}
			return nil, &timeoutError{host: display, wait: wait}
		}
	}
}

// merge adds the addresses in more that found lacks, keeping IPv4 first.
func merge(found, more []netip.Addr) []netip.Addr {
	for _, a := range more {
		if !slices.Contains(found, a) {
			found = append(found, a)
		}
	}
	slices.SortStableFunc(found, func(a, b netip.Addr) int {
		return cmp.Compare(rank(a), rank(b))
	})
	return found
}

// rank orders IPv4 addresses before IPv6 ones.
func rank(a netip.Addr) int {
	if a.Unmap().Is4() {
		return 0
	}
	return 1
}

// timeoutError reports a lookup nobody answered. It matches
// context.DeadlineExceeded, like the net package's own timeouts.
type timeoutError struct {
	host string
	wait time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("mdns: no answer for %s within %v: is the host switched on and on this network? Use its IP address in the config instead",
		e.host, e.wait.Round(time.Millisecond))
}

func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// Timeout reports true, as net.Error's Timeout does for a timed-out dial.
func (e *timeoutError) Timeout() bool { return true }

// isLocal reports whether host is a name in the .local domain, the one
// domain Multicast DNS serves (RFC 6762 §3).
func isLocal(host string) bool {
	h := strings.TrimSuffix(host, ".")
	const suffix = ".local"
	return len(h) > len(suffix) && strings.EqualFold(h[len(h)-len(suffix):], suffix)
}

// queryName checks host and returns it fully qualified, with a trailing dot.
func queryName(host string) (string, error) {
	if !isLocal(host) {
		return "", fmt.Errorf("mdns: %q is not a .local name: only names ending in .local are resolved by multicast DNS (RFC 6762 §3)", host)
	}
	h := strings.TrimSuffix(host, ".")
	// RFC 1035 §2.3.4: labels of 1–63 bytes, 255 bytes in all on the wire.
	if len(h)+2 > 255 {
		return "", fmt.Errorf("mdns: name %q is %d bytes long; a DNS name has at most 253", host, len(h))
	}
	for l := range strings.SplitSeq(h, ".") {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("mdns: invalid name %q: every dot-separated label needs 1 to 63 bytes", host)
		}
	}
	return h + ".", nil
}

// newQuery builds a standard query for name's A and AAAA records. Its ID is
// random and non-zero: a legacy unicast query (one not sent from port 5353)
// is an ordinary DNS query, and the responder repeats its ID and question
// in a unicast reply to the querier's port (RFC 6762 §6.7). The
// unicast-response ("QU") bit stays clear: it is for full mDNS queriers on
// port 5353 (RFC 6762 §5.4) and adds nothing here.
func newQuery(name string) ([]byte, uint16, error) {
	n, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, 0, err
	}
	id := uint16(1 + rand.N(0xffff))
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id})
	if err := b.StartQuestions(); err != nil {
		return nil, 0, err
	}
	for _, t := range []dnsmessage.Type{dnsmessage.TypeA, dnsmessage.TypeAAAA} {
		if err := b.Question(dnsmessage.Question{Name: n, Type: t, Class: dnsmessage.ClassINET}); err != nil {
			return nil, 0, err
		}
	}
	msg, err := b.Finish()
	return msg, id, err
}

// groupDestinations returns the IPv4 mDNS group and the IPv6 group scoped
// to each multicast interface that is up: ff02::fb is link-local, so it
// means nothing without an interface. The IPv4 query leaves through the
// interface the routing table picks for 224.0.0.251 (on a Pi, its one
// network); choosing others would need IP_MULTICAST_IF, which the standard
// library does not set.
func groupDestinations() []netip.AddrPort {
	dests := []netip.AddrPort{netip.AddrPortFrom(groupV4, mdnsPort)}
	ifs, err := net.Interfaces()
	if err != nil {
		return dests // IPv6 is best effort
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 {
			dests = append(dests, netip.AddrPortFrom(groupV6.WithZone(ifi.Name), mdnsPort))
		}
	}
	return dests
}

// socket is one UDP socket on an ephemeral port and where it sends queries.
type socket struct {
	conn  *net.UDPConn
	dests []netip.AddrPort
}

// openSockets opens an IPv4 socket if dests has IPv4 addresses and an IPv6
// one if it has IPv6 addresses. A failing IPv6 socket (a host without IPv6)
// is skipped while an IPv4 one is open.
func openSockets(dests []netip.AddrPort) ([]*socket, error) {
	var v4, v6 []netip.AddrPort
	for _, d := range dests {
		if d.Addr().Unmap().Is4() {
			v4 = append(v4, netip.AddrPortFrom(d.Addr().Unmap(), d.Port()))
		} else {
			v6 = append(v6, d)
		}
	}
	var socks []*socket
	var errs []error
	for _, f := range []struct {
		network string
		dests   []netip.AddrPort
	}{{"udp4", v4}, {"udp6", v6}} {
		if len(f.dests) == 0 {
			continue
		}
		c, err := net.ListenUDP(f.network, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		socks = append(socks, &socket{conn: c, dests: f.dests})
	}
	if len(socks) == 0 {
		return nil, fmt.Errorf("open a UDP socket: %w", errors.Join(errs...))
	}
	return socks, nil
}

// send sends query to every destination. It fails only if no send worked.
func send(socks []*socket, query []byte) error {
	var first error
	sent := 0
	for _, s := range socks {
		for _, d := range s.dests {
			if _, err := s.conn.WriteToUDPAddrPort(query, d); err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			sent++
		}
	}
	if sent == 0 {
		return first
	}
	return nil
}

// read hands the addresses of every response answering for name to out
// until its socket is closed or done is closed. Packets that are not such
// a response are dropped: anyone on the network can send to our port.
func (s *socket) read(name string, id uint16, out chan<- []netip.Addr, done <-chan struct{}) {
	buf := make([]byte, 9000) // the largest mDNS packet (RFC 6762 §17)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed by lookup, or a socket that can no longer read
		}
		addrs := parseResponse(buf[:n], name, id, from)
		if len(addrs) == 0 {
			continue
		}
		select {
		case out <- addrs:
		case <-done:
			return
		}
	}
}

// parseResponse returns name's addresses from a response, IPv4 first, from
// its answer and additional sections (a responder may put the AAAA record
// next to an A answer there, RFC 6762 §6.2). It returns nil for anything
// malformed or not a response to query id.
func parseResponse(pkt []byte, name string, id uint16, from netip.AddrPort) []netip.Addr {
	var p dnsmessage.Parser
	h, err := p.Start(pkt)
	// RFC 6762 §18: responses with a non-zero opcode or rcode are ignored.
	// The ID is ours in a legacy unicast reply (RFC 6762 §6.7) and zero in
	// a multicast-style one (RFC 6762 §18.1); any other belongs to another
	// query.
	if err != nil || !h.Response || h.OpCode != 0 || h.RCode != dnsmessage.RCodeSuccess || (h.ID != id && h.ID != 0) {
		return nil
	}
	if err := p.SkipAllQuestions(); err != nil {
		return nil
	}
	var v4, v6 []netip.Addr
	take := func(hdr dnsmessage.ResourceHeader, skip func() error) error {
		// A TTL of zero is a goodbye: the address is being withdrawn
		// (RFC 6762 §10.1).
		if hdr.Class&^cacheFlush != dnsmessage.ClassINET || hdr.TTL == 0 || !strings.EqualFold(hdr.Name.String(), name) {
			return skip()
		}
		switch hdr.Type {
		case dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				return err
			}
			if a := netip.AddrFrom4(r.A); !slices.Contains(v4, a) {
				v4 = append(v4, a)
			}
		case dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				return err
			}
			a := netip.AddrFrom16(r.AAAA)
			// A link-local address is only reachable through the
			// interface it was announced on.
			if a.IsLinkLocalUnicast() && from.Addr().Zone() != "" {
				a = a.WithZone(from.Addr().Zone())
			}
			if !slices.Contains(v6, a) {
				v6 = append(v6, a)
			}
		default:
			return skip()
		}
		return nil
	}
	for {
		hdr, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil || take(hdr, p.SkipAnswer) != nil {
			return nil
		}
	}
	if err := p.SkipAllAuthorities(); err != nil {
		return nil
	}
	for {
		hdr, err := p.AdditionalHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil || take(hdr, p.SkipAdditional) != nil {
			return nil
		}
	}
	return append(v4, v6...)
}
