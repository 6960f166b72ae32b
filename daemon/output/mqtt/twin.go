package mqtt

import (
	"fmt"
	"time"

	"github.com/onair-dev/onair/daemon/backoff"
)

// A twin is a second onair with the same client ID (two Raspberry Pis both
// named raspberrypi, before node IDs got a per-machine suffix). An MQTT
// broker allows one session per client ID and drops the older connection
// when a new one comes (MQTT 3.1.1, section 3.1.4), so the two knock each
// other off as fast as they reconnect, and each one's will ("offline")
// lands on the other's status topic. Two signs give a twin away:
//
//   - the broker closes the connection soon after it came up, several
//     times in a row;
//   - while we are connected, "offline" arrives live (not retained) on our
//     own status topic: only a client with our will or our node ID sends
//     that.
//
// On either, the publisher logs once what to do, shows it in Status, puts
// "online" back, and stops resetting its reconnect backoff, so the pair
// settles at one reconnect every couple of minutes instead of dozens.
const (
	// twinLifetime is how long a session must last to count as healthy.
	twinLifetime = 30 * time.Second
	// twinSessions is how many short sessions in a row make a twin.
	twinSessions = 3
)

// twinState is guarded by Publisher.mu.
type twinState struct {
	// node is set when the evidence is our status topic: another onair
	// with our node ID, whatever its client ID.
	node   bool
	ackAt  time.Time // when the broker accepted the current session
	short  int       // short sessions in a row
	reason string    // why a twin is suspected; "" when none
	logged bool
}

// twinMessage is the one line that says what to do.
func (p *Publisher) twinMessage() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.twinMessageLocked()
}

func (p *Publisher) twinMessageLocked() string {
	// A client ID derived from the node ID is shared by every onair with
	// that node ID and no client_id of its own, so the echo on our status
	// topic names the client ID as well: which of the two signs arrives
	// first must not change what the user is told.
	if p.twin.node && p.opts.ClientID != defaultClientID(p.opts.NodeID) {
		return fmt.Sprintf("another onair publishes as node_id %s: set mqtt.node_id", p.opts.NodeID)
	}
	return fmt.Sprintf("another onair uses client_id %s (node_id %s): set mqtt.node_id", p.opts.ClientID, p.opts.NodeID)
}

// noteConnack records that the broker accepted a connection. A twin can
// knock us off before our subscription is acknowledged, so a session's life
// counts from here, not from "connected".
func (p *Publisher) noteConnack() {
	p.mu.Lock()
	p.twin.ackAt = time.Now()
	p.mu.Unlock()
}

// sessionLife reports whether the session that just ended was accepted by
// the broker, and for how long it lasted.
func (p *Publisher) sessionLife() (accepted bool, lived time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := p.twin.ackAt
	p.twin.ackAt = time.Time{}
	if at.IsZero() {
		return false, 0
	}
	return true, time.Since(at)
}

// noteSession records how a session ended and reports whether a twin is
// suspected. lived is how long the connection was up; accepted is false
// when the broker never accepted it (which says nothing about twins).
func (p *Publisher) noteSession(accepted bool, lived time.Duration) bool {
	if !accepted {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.twin.reason != ""
	}
	p.mu.Lock()
	if lived >= twinLifetime {
		p.twin.short, p.twin.reason, p.twin.logged, p.twin.node = 0, "", false, false
		p.mu.Unlock()
		return false
	}
	p.twin.short++
	if p.twin.short >= twinSessions && p.twin.reason == "" {
		p.twin.reason = fmt.Sprintf("the broker closed the connection within %s of connecting %d times in a row", twinLifetime, p.twin.short)
	}
	suspected := p.twin.reason != ""
	p.mu.Unlock()
	if suspected {
		p.logTwin()
	}
	return suspected
}

// noteStatusEcho handles a message on our own status topic. A live
// "offline" while we are connected is a twin's will or shutdown.
func (p *Publisher) noteStatusEcho(payload []byte, retained bool) {
	if retained || string(payload) != "offline" {
		return
	}
	p.mu.Lock()
	if !p.conn.up {
		p.mu.Unlock()
		return
	}
	if p.twin.reason == "" {
		p.twin.reason = "our status topic " + p.t.status() + " went offline while we are connected"
		p.twin.node = true
	}
	// Home Assistant now shows every entity unavailable: say online again.
	p.dirty[p.t.status()] = outMsg{topic: p.t.status(), payload: []byte("online"), retain: true, kind: kindStatus}
	p.mu.Unlock()
	p.logTwin()
	p.kick()
}

// logTwin logs the twin once per episode, at ERROR: it is a configuration
// problem that will not go away by itself.
func (p *Publisher) logTwin() {
	p.mu.Lock()
	if p.twin.logged {
		p.mu.Unlock()
		return
	}
	p.twin.logged = true
	reason := p.twin.reason
	p.mu.Unlock()
	p.log.Error(p.twinMessage(), "broker", p.broker.String(), "evidence", reason)
}

// twinStatus is the twin line for Status, "" when none is suspected.
func (p *Publisher) twinStatusLocked() string {
	if p.twin.reason == "" {
		return ""
	}
	return p.twinMessageLocked() + " (" + p.twin.reason + ")"
}

// reconnectDelay is the wait before the next connect. With a twin around
// the backoff keeps growing across sessions that did come up.
func (p *Publisher) reconnectDelay(failures int) time.Duration {
	return backoff.Delay(p.retryMin, p.retryMax, failures)
}
