package mqtt

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// Connection errors reported by Status and logged by Run. Both are retried
// (the broker side may be fixed without restarting onair), but they are
// configuration problems, so they are logged at ERROR.
var (
	// ErrNotAuthorized means the broker refused the username/password or
	// the client ID.
	ErrNotAuthorized = errors.New("broker rejected the connection: check username, password and client_id")
	// ErrTLS means the TLS handshake failed: unknown CA, wrong host name,
	// expired or rejected client certificate.
	ErrTLS = errors.New("tls handshake with broker failed: check ca_file, cert_file, key_file and the broker host name")
)

// msgKind orders outgoing messages within a batch: the availability topic
// first, then removals, discovery, state, signs and error replies, so that
// Home Assistant sees an entity's config before its state.
type msgKind uint8

const (
	kindStatus msgKind = iota
	kindClear
	kindDiscovery
	kindState
	kindSign
	kindError
)

type outMsg struct {
	topic   string
	payload []byte
	retain  bool
	kind    msgKind
	// render, when set, makes the payload at send time (takeDirty): a
	// user's discovery config is some 3 KB of JSON that is sent once per
	// connection, so it is not kept (see setDiscoveryLocked).
	render func() []byte
}

// user is one watched user's entry.
type user struct {
	key  string
	name string
}

// Status is a snapshot of the publisher for "onair status".
type Status struct {
	// Connected reports whether the broker connection is up.
	Connected bool
	// Broker is the normalised broker URL.
	Broker   string
	ClientID string
	// LastError is the last connection error (wrapping ErrNotAuthorized or
	// ErrTLS when it is one of those), nil after a successful connect.
	LastError     error
	LastErrorTime time.Time
	// LastConnect is when the current or last connection came up.
	LastConnect time.Time
	// Twin, when set, says that another onair seems to use the same
	// client ID or node ID, with the evidence (see twin.go).
	Twin string
	// Pending is the number of topics waiting to be sent.
	Pending int
}

// Publisher publishes presence to MQTT. Create it with New, start it with
// Run; the setters may be called at any time from any goroutine and never
// block on the network.
type Publisher struct {
	opts   Options
	log    *slog.Logger
	broker *url.URL
	tls    *tls.Config
	t      topics
	births []string
	signs  map[string][]Sign // by user slug

	// Tunables, overridden by tests in this package.
	retryMin, retryMax time.Duration
	batchSize          int

	running atomic.Bool
	wake    chan struct{} // 1-slot: something is dirty
	cmds    chan []byte

	mu       sync.Mutex
	users    map[string]*user // by slug
	usersSet bool
	retained map[string]outMsg // everything re-sent on (re)connect
	dirty    map[string]outMsg // topic → latest payload not yet delivered
	foreign  map[string]bool   // our discovery topics on the broker that we no longer want
	conn     struct {
		up        bool
		err       error
		errAt     time.Time
		connectAt time.Time
		logged    string // last failure logged, to log transitions only
	}
	// rejects rate-limits the log of rejected commands (reject).
	rejects struct {
		last       time.Time
		suppressed int
	}
	twin twinState // a second onair with our client ID (twin.go)
	// migrated is set once the former node's topics are queued for
	// removal (migrate.go).
	migrated bool
}

// New validates opts, fills in defaults and returns a Publisher. It reads the
// TLS files but does no network I/O.
func New(opts Options) (*Publisher, error) {
	opts.Signs = slices.Clone(opts.Signs)
	opts.fillDefaults()
	var errs []error
	u, err := parseBroker(opts.Broker)
	if err != nil {
		errs = append(errs, fmt.Errorf("broker: %w", err))
	}
	if err := opts.validate(); err != nil {
		errs = append(errs, err)
	}
	var tc *tls.Config
	if u != nil {
		if tc, err = opts.tlsConfig(u); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	p := &Publisher{
		opts:      opts,
		log:       opts.Logger,
		broker:    u,
		tls:       tc,
		t:         topics{base: opts.TopicPrefix + "/" + opts.NodeID, discovery: opts.DiscoveryPrefix, node: opts.NodeID},
		signs:     map[string][]Sign{},
		retryMin:  time.Second,
		retryMax:  2 * time.Minute,
		batchSize: 512,
		wake:      make(chan struct{}, 1),
		cmds:      make(chan []byte, 16),
		users:     map[string]*user{},
		retained:  map[string]outMsg{},
		dirty:     map[string]outMsg{},
		foreign:   map[string]bool{},
	}
	if opts.BirthTopic != "" {
		p.births = []string{opts.BirthTopic}
	} else {
		p.births = []string{opts.DiscoveryPrefix + "/status"}
		if opts.DiscoveryPrefix != DefaultDiscoveryPrefix {
			p.births = append(p.births, DefaultDiscoveryPrefix+"/status")
		}
	}
	for _, s := range opts.Signs {
		slug := Slug(s.User)
		p.signs[slug] = append(p.signs[slug], s)
	}
	// The daemon's own device and its initial state.
	for _, m := range p.daemonDiscovery() {
		p.setLocked(m)
	}
	p.setHealthLocked(Health{State: HealthOK})
	p.setLocked(outMsg{topic: p.t.override(), payload: overrideJSON(Override{}), retain: true, kind: kindState})
	p.setLocked(outMsg{topic: p.t.paused(), payload: mustJSON(pausedPayload{}), retain: true, kind: kindState})
	return p, nil
}

// Options returns the options in effect, defaults filled in.
func (p *Publisher) Options() Options { return p.opts }

// StatusTopic returns the availability topic (online/offline).
func (p *Publisher) StatusTopic() string { return p.t.status() }

// CommandTopic returns the topic commands are read from.
func (p *Publisher) CommandTopic() string { return p.t.command() }

// ErrorTopic returns the topic command errors are published on.
func (p *Publisher) ErrorTopic() string { return p.t.errors() }

// UserTopic returns the topic of one per-user leaf: "state", "availability",
// "activity", "color" or "label".
func (p *Publisher) UserTopic(user, leaf string) string { return p.t.user(Slug(user), leaf) }

// setLocked records m as the latest value of its topic. Unchanged retained
// payloads are not sent again.
func (p *Publisher) setLocked(m outMsg) {
	if m.retain {
		if cur, ok := p.retained[m.topic]; ok && bytes.Equal(cur.payload, m.payload) {
			return
		}
		p.retained[m.topic] = m
	}
	p.dirty[m.topic] = m
}

// setDiscoveryLocked publishes a user's discovery config, rendered when it
// is sent rather than kept: with thousands of watched users the configs
// would be most of the publisher's memory.
func (p *Publisher) setDiscoveryLocked(slug, name string) {
	for _, topic := range p.userDiscoveryTopics(slug) {
		m := outMsg{topic: topic, retain: true, kind: kindDiscovery, render: func() []byte { return p.renderDiscovery(slug, name, topic) }}
		p.retained[topic] = m
		p.dirty[topic] = m
	}
}

// clearLocked removes a retained topic from the broker (empty payload).
func (p *Publisher) clearLocked(topic string) {
	delete(p.retained, topic)
	p.dirty[topic] = outMsg{topic: topic, retain: true, kind: kindClear}
}

func (p *Publisher) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Update publishes one user's presence and signal, and the signs that follow
// the user. A user not seen before is added (with its discovery).
func (p *Publisher) Update(u UserState) {
	slug := Slug(u.User)
	name := u.Name
	if name == "" {
		name = u.User
	}
	msgs := p.t.userMessages(slug, u, p.opts.PlainTopics)
	for _, s := range p.signs[slug] {
		msgs = append(msgs, signMessages(s, u)...)
	}
	p.mu.Lock()
	e := p.users[slug]
	if e == nil {
		e = &user{key: u.User}
		p.users[slug] = e
	}
	if e.name != name {
		e.name = name
		p.setDiscoveryLocked(slug, name)
	}
	for _, m := range msgs {
		p.setLocked(m)
	}
	p.mu.Unlock()
	p.kick()
}

// SetUsers declares the complete list of watched users (keys as in
// UserState.User). Users not in the list lose their discovery config and
// retained state topics (empty retained payloads), so Home Assistant keeps
// no ghost entities; new users get discovery right away. Once SetUsers has
// been called, discovery configs of this node found on the broker that
// belong to no listed user (left by an earlier run or another discovery
// mode) are removed too.
func (p *Publisher) SetUsers(users []string) {
	want := map[string]string{}
	for _, u := range users {
		slug := Slug(u)
		if prev, dup := want[slug]; dup && prev != u {
			p.log.Warn("mqtt users share a topic slug", "user", u, "other", prev, "slug", slug)
		}
		want[slug] = u
	}
	p.mu.Lock()
	for slug, e := range p.users {
		if _, ok := want[slug]; ok {
			continue
		}
		for _, m := range p.userDiscovery(slug, e.name) {
			p.clearLocked(m.topic)
		}
		for _, m := range p.t.userMessages(slug, UserState{}, true) {
			p.clearLocked(m.topic)
		}
		delete(p.users, slug)
	}
	for slug, key := range want {
		if _, ok := p.users[slug]; ok {
			continue
		}
		p.users[slug] = &user{key: key, name: key}
		p.setDiscoveryLocked(slug, key)
	}
	p.usersSet = true
	p.migrateLocked(users)
	p.reconcileLocked()
	p.mu.Unlock()
	p.kick()
}

// SetHealth publishes the daemon's health.
func (p *Publisher) SetHealth(h Health) {
	p.mu.Lock()
	p.setHealthLocked(h)
	p.mu.Unlock()
	p.kick()
}

func (p *Publisher) setHealthLocked(h Health) {
	if !slices.Contains(HealthStates, h.State) {
		h = Health{State: HealthError, Message: strings.TrimSpace(string(h.State) + " " + h.Message)}
	}
	p.setLocked(outMsg{topic: p.t.health(), payload: mustJSON(healthPayload(h)), retain: true, kind: kindState})
}

// SetOverride publishes the current override for the HA select.
func (p *Publisher) SetOverride(o Override) {
	p.mu.Lock()
	p.setLocked(outMsg{topic: p.t.override(), payload: overrideJSON(o), retain: true, kind: kindState})
	p.mu.Unlock()
	p.kick()
}

// SetPaused publishes whether the daemon is paused, and until when (zero:
// until resumed), for the HA switch.
func (p *Publisher) SetPaused(paused bool, until time.Time) {
	pp := pausedPayload{Paused: paused}
	if paused {
		pp.Until = rfc3339(until)
	}
	p.mu.Lock()
	p.setLocked(outMsg{topic: p.t.paused(), payload: mustJSON(pp), retain: true, kind: kindState})
	p.mu.Unlock()
	p.kick()
}

// Status returns a snapshot of the connection.
func (p *Publisher) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{
		Connected:     p.conn.up,
		Broker:        p.broker.String(),
		ClientID:      p.opts.ClientID,
		LastError:     p.conn.err,
		LastErrorTime: p.conn.errAt,
		LastConnect:   p.conn.connectAt,
		Pending:       len(p.dirty),
		Twin:          p.twinStatusLocked(),
	}
}

// resendAllLocked marks every retained topic for sending: after a connect
// and when Home Assistant announces itself.
func (p *Publisher) resendAllLocked() {
	for t, m := range p.retained {
		if _, ok := p.dirty[t]; !ok {
			p.dirty[t] = m
		}
	}
}

// reconcileLocked removes discovery configs of this node that are on the
// broker but no longer wanted. It waits for SetUsers, so that a config is
// never removed just because its user's first Update has not come yet. After
// a removal discovery is re-sent, because HA may have ignored a wanted config
// whose unique_id the removed one still held (switching discovery modes).
func (p *Publisher) reconcileLocked() {
	if !p.usersSet || len(p.foreign) == 0 {
		return
	}
	removed := false
	for t := range p.foreign {
		delete(p.foreign, t)
		if _, want := p.retained[t]; want {
			continue
		}
		p.clearLocked(t)
		removed = true
	}
	if removed {
		for t, m := range p.retained {
			if m.kind == kindDiscovery {
				p.dirty[t] = m
			}
		}
	}
}

// Run connects to the broker and publishes until ctx is done, reconnecting
// with backoff (1 s doubling to 2 min) for as long as it takes. It returns
// nil after ctx is done, once "offline" is published (best effort, bounded)
// and every goroutine it started has exited. Calling Run twice is an error.
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("mqtt: Run called twice")
	}
	if p.opts.InsecureSkipVerify {
		p.log.Warn("mqtt tls verification disabled", "broker", p.broker.String())
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { p.commandLoop(ctx) })

	failures := 0
	for {
		connected, err := p.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if twin := p.noteSession(p.sessionLife()); connected && !twin {
			failures = 0
		}
		failures++
		p.noteFailure(silentBroker(err, p.opts), connected)
		t := time.NewTimer(p.reconnectDelay(failures))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func (p *Publisher) clientOptions(lost chan<- error) *paho.ClientOptions {
	o := paho.NewClientOptions()
	o.AddBroker(p.broker.String())
	o.SetClientID(p.opts.ClientID)
	if p.opts.Username != "" {
		o.SetUsername(p.opts.Username)
	}
	if !p.opts.Password.IsZero() {
		o.SetPassword(p.opts.Password.Reveal())
	}
	if p.tls != nil {
		o.SetTLSConfig(p.tls)
	}
	o.SetProtocolVersion(4)
	o.SetCleanSession(true)
	// Run owns reconnection: paho's own retry loop hides bad credentials at
	// DEBUG level and keeps goroutines Run cannot join.
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetOrderMatters(false)
	o.SetKeepAlive(p.opts.KeepAlive)
	o.SetPingTimeout(pingTimeout(p.opts))
	o.SetConnectTimeout(p.opts.Timeout)
	// WriteTimeout bounds paho's hand-off of a publish to its writer
	// goroutine, not delivery. When the connection drops mid-batch that
	// hand-off blocks for the whole WriteTimeout and paho reports the loss
	// only afterwards, so keep it short; acks are awaited separately, up to
	// Timeout.
	o.SetWriteTimeout(min(p.opts.Timeout, time.Second))
	o.SetWill(p.t.status(), "offline", 1, true)
	// Batched writes and buffered reads under paho (see batchConn).
	o.SetCustomOpenConnectionFn(openConn)
	o.SetDefaultPublishHandler(func(paho.Client, paho.Message) {})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		select {
		case lost <- err:
		default:
		}
	})
	return o
}

// session makes one connection and serves it until it is lost or ctx is
// done. connected reports whether the connection came up.
func (p *Publisher) session(ctx context.Context) (connected bool, err error) {
	lost := make(chan error, 1)
	c := paho.NewClient(p.clientOptions(lost))
	tok := c.Connect()
	// The connect attempt is bounded by ConnectTimeout inside paho; the
	// extra margin only guards against a paho bug. Shutting down does not
	// wait for it: against a broker that drops packets that would hold the
	// daemon's exit for the whole timeout. paho's attempt then ends by
	// itself.
	timer := time.NewTimer(2*p.opts.Timeout + time.Second)
	defer timer.Stop()
	select {
	case <-tok.Done():
	case <-timer.C:
		return false, errors.New("connect timed out")
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
	if err := tok.Error(); err != nil {
		return false, classify(err)
	}
	p.noteConnack()

	// This is the on-connect handler: it runs after every (re)connect.
	filters := map[string]byte{
		p.t.command(): 1,
		p.t.status():  0, // a live "offline" here is a twin (twin.go)
		p.opts.DiscoveryPrefix + "/device/+/config":                  0,
		p.opts.DiscoveryPrefix + "/+/" + p.opts.NodeID + "/+/config": 0,
	}
	for _, b := range p.births {
		filters[b] = 0
	}
	st := c.SubscribeMultiple(filters, p.onMessage)
	// Like the connect, shutting down does not wait for a SUBACK that a
	// silent broker never sends.
	subTimer := time.NewTimer(p.opts.Timeout)
	defer subTimer.Stop()
	select {
	case <-st.Done():
	case <-subTimer.C:
	case <-ctx.Done():
		c.Disconnect(0)
		return false, context.Cause(ctx)
	}
	if !isDone(st) || st.Error() != nil {
		err := st.Error()
		if err == nil {
			err = errors.New("subscribe timed out")
		}
		c.Disconnect(0)
		return false, fmt.Errorf("subscribe: %w", err)
	}
	p.mu.Lock()
	p.dirty[p.t.status()] = outMsg{topic: p.t.status(), payload: []byte("online"), retain: true, kind: kindStatus}
	p.resendAllLocked()
	p.conn.up = true
	p.conn.err = nil
	p.conn.connectAt = time.Now()
	p.conn.logged = ""
	p.mu.Unlock()
	p.log.Info("mqtt connected", "broker", p.broker.String(), "client_id", p.opts.ClientID)

	err = p.serve(ctx, c, lost)
	p.mu.Lock()
	p.conn.up = false
	p.mu.Unlock()
	if ctx.Err() != nil {
		p.shutdown(ctx, c)
		return true, nil
	}
	c.Disconnect(0)
	return true, err
}

// serve sends dirty topics until the connection is lost (returning why) or
// ctx is done (returning nil).
func (p *Publisher) serve(ctx context.Context, c paho.Client, lost <-chan error) error {
	for {
		if all := p.takeDirty(); len(all) > 0 {
			// Hand paho at most batchSize messages at a time, so that acks
			// are awaited in bounded groups.
			var (
				failed []outMsg
				err    error
				isLost bool
			)
			for len(all) > 0 && len(failed) == 0 {
				n := min(len(all), p.batchSize)
				render(all[:n])
				failed, err, isLost = p.publish(ctx, c, all[:n], lost)
				clear(all[:n]) // sent or copied into failed: let the payloads go
				all = all[n:]
			}
			if failed = append(failed, all...); len(failed) > 0 {
				p.requeue(failed)
			}
			switch {
			case isLost:
				return err
			case ctx.Err() != nil:
				return nil
			case len(failed) > 0:
				// Acks timed out but paho has not noticed a loss yet; give it
				// a moment before trying again.
				t := time.NewTimer(p.retryMin)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case err := <-lost:
					t.Stop()
					return err
				case <-t.C:
				}
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-lost:
			return err
		case <-p.wake:
		}
	}
}

// publish sends batch with QoS 1 and waits, bounded by Timeout, for the
// acks. It returns the messages that were not acknowledged, and the reason
// when the connection was lost meanwhile (isLost). It stops handing messages
// to paho at the first one paho refuses.
func (p *Publisher) publish(ctx context.Context, c paho.Client, batch []outMsg, lost <-chan error) (failed []outMsg, err error, isLost bool) {
	toks := make([]paho.Token, 0, len(batch))
	for _, m := range batch {
		select {
		case err = <-lost:
			isLost = true
		default:
		}
		// A hand-off can block for WriteTimeout when the link is stalled;
		// do not start more of them once shutting down.
		if isLost || ctx.Err() != nil {
			break
		}
		tok := c.Publish(m.topic, 1, m.retain, m.payload)
		toks = append(toks, tok)
		if refused(tok) {
			break
		}
	}
	failed = append(failed, batch[len(toks):]...)
	deadline := time.NewTimer(p.opts.Timeout)
	defer deadline.Stop()
	stop := isLost
	for i, tok := range toks {
		if !stop {
			select {
			case <-tok.Done():
			case <-deadline.C:
				stop = true
			case <-ctx.Done():
				stop = true
			case err = <-lost:
				stop, isLost = true, true
			}
		}
		select {
		case <-tok.Done():
			if tok.Error() == nil {
				continue
			}
		default:
		}
		failed = append(failed, batch[i])
	}
	return failed, err, isLost
}

// refused reports whether paho already failed tok (not connected, hand-off
// timed out).
func refused(tok paho.Token) bool {
	select {
	case <-tok.Done():
		return tok.Error() != nil
	default:
		return false
	}
}

// takeDirty removes and returns every dirty message in send order (by kind;
// bucketed rather than sorted, since order within a kind does not matter).
func (p *Publisher) takeDirty() []outMsg {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dirty) == 0 {
		return nil
	}
	var count [kindError + 1]int
	for _, m := range p.dirty {
		count[m.kind]++
	}
	var start [kindError + 1]int
	for k := 1; k < len(start); k++ {
		start[k] = start[k-1] + count[k-1]
	}
	all := make([]outMsg, len(p.dirty))
	for _, m := range p.dirty {
		all[start[m.kind]] = m
		start[m.kind]++
	}
	if len(all) > smallDirty {
		// A map keeps the room it grew to: after a first connection or an
		// all-change poll of 10,000 users, a cleared one would hold some
		// 2.5 MB for the quiet polls that follow.
		p.dirty = map[string]outMsg{}
	} else {
		clear(p.dirty)
	}
	return all
}

// smallDirty is the number of pending messages up to which takeDirty keeps
// the dirty map's room for the next ones (a poll with a few changes).
const smallDirty = 64

// render fills in the payloads of msgs that are rendered when sent
// (discovery configs). serve renders one batch at a time, so that the
// first connection of a large node holds one batch of configs, not all.
func render(msgs []outMsg) {
	for i := range msgs {
		if msgs[i].render != nil {
			msgs[i].payload, msgs[i].render = msgs[i].render(), nil
		}
	}
}

// requeue puts back messages that were not delivered, unless a newer value
// for the topic is already waiting.
func (p *Publisher) requeue(msgs []outMsg) {
	p.mu.Lock()
	for _, m := range msgs {
		if _, newer := p.dirty[m.topic]; !newer {
			p.dirty[m.topic] = m
		}
	}
	p.mu.Unlock()
}

// Shutdown bounds: Run's shutdown (publishing "offline", then disconnecting)
// takes at most about offlineWait + disconnectQuiesce, well under the 2 s a
// service stop or Ctrl-C should take, even when the broker is slow. A healthy
// broker acknowledges "offline" in milliseconds; a slow one still receives it
// ahead of the DISCONNECT on the same connection, and gets the will
// ("offline") anyway if the connection drops instead.
const (
	offlineWait       = time.Second
	disconnectQuiesce = 250 // milliseconds, paho's unit
)

// shutdown publishes "offline" (bounded by offlineWait, counted from before
// paho's hand-off, which itself may block up to WriteTimeout on a stalled
// link) and disconnects.
func (p *Publisher) shutdown(ctx context.Context, c paho.Client) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), offlineWait)
	defer cancel()
	// Every sign's exit state first (state.go, exitMessages), then
	// "offline": on one connection the broker takes them in that order.
	// The signs are fixed by New, so no lock is needed.
	for _, m := range exitMessages(p.signs) {
		c.Publish(m.topic, 1, m.retain, m.payload)
	}
	tok := c.Publish(p.t.status(), 1, true, "offline")
	select {
	case <-tok.Done():
	case <-sctx.Done():
	}
	c.Disconnect(disconnectQuiesce)
	p.log.Info("mqtt disconnected", "broker", p.broker.String())
}

// noteFailure records and logs a failed connect or a lost connection, once
// per distinct failure.
func (p *Publisher) noteFailure(err error, wasConnected bool) {
	if err == nil {
		err = errors.New("connection closed")
	}
	p.mu.Lock()
	p.conn.err = err
	p.conn.errAt = time.Now()
	msg := err.Error()
	first := p.conn.logged != msg
	p.conn.logged = msg
	twin := p.twin.reason != ""
	p.mu.Unlock()
	switch {
	case wasConnected && twin:
		// Said once, with what to do (logTwin); each drop is routine now.
		p.log.Debug("mqtt connection lost", "broker", p.broker.String(), "err", err)
	case wasConnected:
		p.log.Warn("mqtt connection lost", "broker", p.broker.String(), "err", err)
	case !first:
	case errors.Is(err, ErrNotAuthorized), errors.Is(err, ErrTLS):
		p.log.Error("mqtt connect failed", "broker", p.broker.String(), "err", err)
	default:
		p.log.Warn("mqtt connect failed", "broker", p.broker.String(), "err", err)
	}
}

// classify wraps connect errors that are configuration problems.
func classify(err error) error {
	switch {
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword),
		errors.Is(err, packets.ErrorRefusedNotAuthorised),
		errors.Is(err, packets.ErrorRefusedIDRejected):
		return fmt.Errorf("%w (%w)", ErrNotAuthorized, err)
	}
	var (
		unknownCA    x509.UnknownAuthorityError
		hostname     x509.HostnameError
		invalid      x509.CertificateInvalidError
		verification *tls.CertificateVerificationError
		alert        tls.AlertError
		record       tls.RecordHeaderError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verification) || errors.As(err, &alert) || errors.As(err, &record) {
		return fmt.Errorf("%w (%w)", ErrTLS, err)
	}
	return err
}

// isDone reports whether t has completed, without waiting.
func isDone(t paho.Token) bool {
	select {
	case <-t.Done():
		return true
	default:
		return false
	}
}

// onMessage handles every subscribed topic. It runs on a paho goroutine
// (OrderMatters false) and never blocks.
func (p *Publisher) onMessage(_ paho.Client, m paho.Message) {
	topic := m.Topic()
	switch {
	case topic == p.t.command():
		if len(m.Payload()) == 0 {
			return // how a client deletes a retained command; not a command
		}
		if m.Retained() {
			// A retained command would re-apply an old override on every
			// restart; ignore it and say why.
			p.reject("retained", &CommandError{Reason: "retained", Err: errors.New("retained commands are ignored; publish without retain")}, m.Payload())
			return
		}
		select {
		case p.cmds <- slices.Clone(m.Payload()):
		default:
			p.reject("busy", &CommandError{Reason: "busy", Err: errors.New("too many commands at once; try again")}, m.Payload())
		}
	case topic == p.t.status():
		p.noteStatusEcho(m.Payload(), m.Retained())
	case slices.Contains(p.births, topic):
		if strings.TrimSpace(string(m.Payload())) == "online" {
			p.mu.Lock()
			p.resendAllLocked()
			p.mu.Unlock()
			p.kick()
		}
	case strings.HasSuffix(topic, "/config"):
		p.noteDiscovery(topic, m.Payload())
	}
}

// noteDiscovery records a retained discovery config seen on the broker; one
// of ours that is no longer wanted is removed once SetUsers has been called.
func (p *Publisher) noteDiscovery(topic string, payload []byte) {
	if len(payload) == 0 {
		return
	}
	p.mu.Lock()
	_, want := p.retained[topic]
	p.mu.Unlock()
	if want || !p.ownedDiscovery(payload) {
		return
	}
	p.mu.Lock()
	p.foreign[topic] = true
	p.reconcileLocked()
	p.mu.Unlock()
	p.kick()
}

// commandLoop hands commands to OnCommand one at a time.
func (p *Publisher) commandLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-p.cmds:
			p.handleCommand(b)
		}
	}
}

func (p *Publisher) handleCommand(b []byte) {
	cmd, err := ParseCommand(b)
	if err != nil {
		p.reject(reasonOf(err), err, b)
		return
	}
	if p.opts.OnCommand == nil {
		p.reject("unsupported", errors.New("this onair does not accept commands"), b)
		return
	}
	if err := p.opts.OnCommand(cmd); err != nil {
		p.reject("callback", err, b)
		return
	}
	// Accepted commands are routine (Home Assistant sends one per click,
	// a script may send thousands): DEBUG, so a flood cannot fill the log.
	p.log.Debug("mqtt command", "kind", string(cmd.Kind), "availability", string(cmd.Availability),
		"activity", string(cmd.Activity), "for", cmd.For)
}

type errorPayload struct {
	Reason  string `json:"reason"`
	Error   string `json:"error"`
	Command string `json:"command"`
}

// rejectLogEvery bounds the log of rejected commands: one WARN per period,
// with how many were left out since the last one.
const rejectLogEvery = 10 * time.Second

// reject answers a bad command on the error topic and logs it, at most one
// WARN per rejectLogEvery with the count of rejections not logged.
func (p *Publisher) reject(reason string, err error, payload []byte) {
	js, _ := json.Marshal(errorPayload{Reason: reason, Error: err.Error(), Command: truncate(strings.ToValidUTF8(string(payload), "?"), 128)})
	now := time.Now()
	p.mu.Lock()
	p.dirty[p.t.errors()] = outMsg{topic: p.t.errors(), payload: js, kind: kindError}
	logIt := p.rejects.last.IsZero() || now.Sub(p.rejects.last) >= rejectLogEvery
	suppressed := p.rejects.suppressed
	if logIt {
		p.rejects.last, p.rejects.suppressed = now, 0
	} else {
		p.rejects.suppressed++
	}
	p.mu.Unlock()
	// Logged before the answer is sent, so that whoever reads the answer
	// finds the log line already written.
	if logIt {
		p.log.Warn("mqtt command rejected", "reason", reason, "err", err, "suppressed", suppressed)
	}
	p.kick()
}
