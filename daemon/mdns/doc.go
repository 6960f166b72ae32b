// Package mdns resolves ".local" host names with Multicast DNS, in pure Go,
// as a fallback for onair's network dials (the MQTT broker, webhooks).
//
// The static linux/arm build uses Go's own resolver (-tags netgo), which
// cannot reach the nss-mdns module that resolved names like
// homeassistant.local through glibc; a Linux box without nss-mdns has the
// same gap. Dialer.DialContext therefore dials as usual and, only when the
// system resolver fails for a .local name, asks the local network itself.
//
// Lookup is a one-shot "legacy unicast" query as RFC 6762 §5.1 and RFC 6762 §6.7
// describe (https://www.rfc-editor.org/rfc/rfc6762): one query for the A and
// AAAA records, sent from an ephemeral port to 224.0.0.251:5353 and, where an
// IPv6 socket opens, to [ff02::fb]:5353 on every multicast interface; it is
// sent a second time halfway through the wait (RFC 6762 §5.1 asks one-shot queriers
// to retransmit), and responders answer it by unicast to that port.
//
// It is not a responder, it keeps no cache, browses no services (DNS-SD)
// and never replaces the system resolver: names that resolve normally are
// dialled normally, and names outside .local are never multicast.
package mdns
