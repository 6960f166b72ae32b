package mdns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Dialer dials like its net.Dialer and, when the system resolver fails for a
// .local host, resolves the host with Lookup and dials its addresses in
// order (IPv4 first) until one connects. Its DialContext fits
// http.Transport.DialContext and anything else that takes
// net.Dialer.DialContext. The zero value is ready to use; a Dialer is safe
// for concurrent use.
type Dialer struct {
	// Dialer makes every dial, the first (system-resolved) one and those to
	// the addresses mDNS found, each with its own Timeout. Nil means a zero
	// net.Dialer.
	Dialer *net.Dialer

	resolver *resolver // nil: defaultResolver; tests point it at a fake responder
}

// DialContext connects to address on the named network, as
// net.Dialer.DialContext does. Only if that fails with a *net.DNSError for a
// host ending in .local does it ask mDNS; the system resolver may fail with
// "no such host", a server failure or a timeout (a unicast DNS server need
// not know .local at all, RFC 6762 §3), so any DNS error counts. The error
// when that fails as well carries what the system resolver said and what
// mDNS said.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	nd := d.Dialer
	if nd == nil {
		nd = &net.Dialer{}
	}
	conn, err := nd.DialContext(ctx, network, address)
	if err == nil {
		return conn, nil
	}
	host, port, splitErr := net.SplitHostPort(address)
	var dnsErr *net.DNSError
	if splitErr != nil || !isLocal(host) || !errors.As(err, &dnsErr) || ctx.Err() != nil {
		return nil, err
	}
	r := d.resolver
	if r == nil {
		r = defaultResolver
	}
	addrs, lerr := r.lookup(ctx, host)
	if lerr != nil {
		return nil, fmt.Errorf("%w; %w", err, lerr)
	}
	addrs = forNetwork(network, addrs)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w; mdns: %s has no address for network %s", err, host, network)
	}
	var first error
	for _, a := range addrs {
		conn, derr := nd.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if derr == nil {
			return conn, nil
		}
		if first == nil {
			first = derr
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w; mdns: %s is at %s, but %w", err, host, joinAddrs(addrs), first)
}

// Dial is DialContext without a context, as net.Dialer.Dial is; with it a
// Dialer is also the forward dialer golang.org/x/net/proxy takes.
func (d *Dialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// forNetwork keeps the addresses a dial on network can use: "tcp4" and
// "udp4" take only IPv4, "tcp6" and "udp6" only IPv6, the rest all.
func forNetwork(network string, addrs []netip.Addr) []netip.Addr {
	var keep []netip.Addr
	for _, a := range addrs {
		is4 := a.Unmap().Is4()
		switch {
		case strings.HasSuffix(network, "4") && !is4:
		case strings.HasSuffix(network, "6") && is4:
		default:
			keep = append(keep, a)
		}
	}
	return keep
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
