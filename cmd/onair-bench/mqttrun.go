package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// mqttRun is one onair watching n colleagues + me against its own fake
// cloud, publishing to a broker that a subscriber here follows.
type mqttRun struct {
	n        int
	interval time.Duration
	cloud    *cloud
	setup    *daemonSetup
	proc     *process
	broker   *broker
	sub      *subscriber
	marks    int // index into cloud.requests of the last mark
}

type mqttRunOptions struct {
	onair     string
	root      string // a fresh directory
	n         int
	interval  time.Duration
	brokerURL string // "" starts mosquitto
	mosquitto string // mosquitto binary, "" to look it up
}

// startMQTTRun starts the broker (unless external), the fakes, the
// subscriber and `onair run --quiet --no-lights`, and waits until every
// user's state has reached the subscriber.
func startMQTTRun(ctx context.Context, tb *fakesTB, o mqttRunOptions) (_ *mqttRun, err error) {
	r := &mqttRun{n: o.n, interval: o.interval}
	defer func() {
		if err != nil {
			r.stop()
		}
	}()
	if o.brokerURL == "" {
		if r.broker, err = startMosquitto(ctx, o.mosquitto, o.root); err != nil {
			return nil, err
		}
	} else {
		r.broker = &broker{url: o.brokerURL, version: "external"}
	}
	caFile := filepath.Join(o.root, "ca.pem")
	ca, err := writeCAFile(caFile)
	if err != nil {
		return nil, err
	}
	r.cloud = newCloud(tb, o.n, 0)
	if err := checkTrust(ca, r.cloud.entra.URL(), r.cloud.graph.URL()); err != nil {
		return nil, err
	}
	// Colleagues by object ID: no /users look-ups, so every poll is /me
	// plus ⌈n/650⌉ getPresencesByUserId batches. A node ID of its own per
	// run keeps runs apart on an external broker.
	node := fmt.Sprintf("bench%d_%d", os.Getpid(), o.n)
	var extra strings.Builder
	if o.n > 0 {
		extra.WriteString("  users:\n")
		for _, id := range r.cloud.ids[1:] {
			fmt.Fprintf(&extra, "    - %s\n", id)
		}
	}
	fmt.Fprintf(&extra, "mqtt:\n  broker: %s\n  node_id: %s\n", r.broker.url, node)
	if r.setup, err = newDaemonSetup(o.onair, filepath.Join(o.root, "onair"), caFile, r.cloud, o.interval, extra.String()); err != nil {
		return nil, err
	}
	if r.sub, err = newSubscriber(ctx, r.broker.url, "onair/"+node+"/+/state", o.n+1); err != nil {
		return nil, err
	}
	reached := r.sub.expect(available.mqtt)
	if err := r.setup.login(ctx); err != nil {
		return nil, err
	}
	// --quiet: with thousands of users the terminal light would print a
	// line per user per change; a service has no terminal. --no-lights:
	// USB scanning is measured by the idle bench.
	if r.proc, err = start("onair run", o.onair, []string{"--config", r.setup.config, "run", "--quiet", "--no-lights"}, r.setup.env, filepath.Join(o.root, "onair", "stderr.log")); err != nil {
		return nil, err
	}
	limit := 2*time.Minute + time.Duration(o.n)*10*time.Millisecond
	select {
	case <-reached:
	case <-time.After(limit):
		got, _ := r.sub.stats()
		return nil, fmt.Errorf("not every user's state reached MQTT within %v (%d state messages); end of onair's stderr:\n%s", limit, got, tail(r.proc.stderr, 3000))
	case <-r.proc.done:
		return nil, r.proc.alive()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Let start-up (discovery messages, first token refresh) settle.
	for range 2 {
		if _, err := r.mark(ctx); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// mark waits for the next poll (its /me request), then half an interval,
// and samples the daemon: consecutive marks enclose exactly one poll.
func (r *mqttRun) mark(ctx context.Context) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*r.interval+time.Minute)
	defer cancel()
	i, me, err := r.cloud.requests.wait(ctx, r.marks, isMe)
	if err != nil {
		if a := r.proc.alive(); a != nil {
			return sample{}, a
		}
		return sample{}, fmt.Errorf("waiting for a poll: %w", err)
	}
	r.marks = i + 1
	if err := sleep(ctx, time.Until(me.at.Add(r.interval/2))); err != nil {
		return sample{}, err
	}
	if err := r.proc.alive(); err != nil {
		return sample{}, err
	}
	// Poll requests from here on belong to the next window.
	r.marks = max(r.marks, r.cloud.requests.len())
	return take(r.proc.pid())
}

func (r *mqttRun) stop() {
	if r.proc != nil {
		r.proc.stop()
	}
	if r.sub != nil {
		r.sub.close()
	}
	if r.broker != nil {
		r.broker.stop()
	}
}
