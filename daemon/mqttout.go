package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/onair-dev/onair/daemon/mqtt"
	"github.com/onair-dev/onair/mapping"
)

// addMQTT adds the MQTT publisher (Home Assistant, door signs, WLED) when
// mqtt.broker is set.
func (d *Daemon) addMQTT() error {
	m := d.set.mqtt
	if m == nil {
		return nil
	}
	opts := mqtt.Options{
		Broker:             m.Broker,
		ClientID:           m.ClientID,
		Username:           m.Username,
		Password:           mqtt.Secret(m.password),
		CAFile:             m.CAFile,
		CertFile:           m.CertFile,
		KeyFile:            m.KeyFile,
		InsecureSkipVerify: m.InsecureSkipVerify,
		TopicPrefix:        m.TopicPrefix,
		NodeID:             m.NodeID,
		DiscoveryPrefix:    m.DiscoveryPrefix,
		Discovery:          mqtt.DiscoveryMode(strings.ToLower(m.Discovery)),
		Version:            d.opts.Version,
		OnCommand:          d.mqttCommand,
		Logger:             d.log.With("component", "mqtt"),
	}
	for _, s := range d.set.signs {
		opts.Signs = append(opts.Signs, mqtt.Sign{Name: s.name, User: s.user, Topic: s.topic, Format: mqtt.SignFormat(s.format)})
	}
	p, err := mqtt.New(opts)
	if err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	d.addOutput(&mqttOutput{p: p, users: d.userKeys()})
	return nil
}

// mqttCommand applies a command from the MQTT command topic, with the same
// meaning as `onair set/clear/pause/resume`.
func (d *Daemon) mqttCommand(c mqtt.Command) error {
	switch c.Kind {
	case mqtt.CommandSet:
		o := Override{Availability: c.Availability, Activity: c.Activity, Effect: c.Effect, Source: "mqtt"}
		if c.HasColor {
			col := c.Color
			o.Color = &col
		} else if c.Effect != "" {
			return errors.New("an effect goes with a colour, e.g. {\"color\":\"red\",\"effect\":\"blink\"}")
		}
		return d.SetOverride(o, c.For)
	case mqtt.CommandClear:
		d.ClearOverride()
	case mqtt.CommandPause:
		d.Pause(c.For)
	case mqtt.CommandResume:
		d.Resume()
	default:
		return fmt.Errorf("unknown command %q", c.Kind)
	}
	return nil
}

// mqttOutput feeds snapshots to the publisher, which owns the connection and
// coalesces to the latest value per topic while the broker is away.
type mqttOutput struct {
	p     *mqtt.Publisher
	users []string
}

// Name implements output.
func (o *mqttOutput) Name() string { return "mqtt" }

// Run implements output. The publisher publishes "offline" on shutdown.
func (o *mqttOutput) Run(ctx context.Context, mb *mailbox) error {
	o.p.SetUsers(o.users)
	var wg sync.WaitGroup
	wg.Go(func() { o.p.Run(ctx) })
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-mb.C():
			o.show(s)
		}
	}
}

func (o *mqttOutput) show(s *Snapshot) {
	for _, u := range s.Users {
		o.p.Update(mqtt.UserState{
			User: u.Key, Name: u.Name, Presence: u.Presence, Signal: u.Signal,
			Since: u.Since, Stale: u.State == mapping.Stale,
		})
	}
	msg := s.Health.Remedy
	if msg == "" {
		msg = s.Health.Err
	}
	o.p.SetHealth(mqtt.Health{State: mqtt.HealthState(HealthName(s.Health.State)), Message: msg})
	ov := mqtt.Override{}
	if s.Override != nil {
		ov = mqtt.Override{Active: true, Availability: s.Override.Availability, Activity: s.Override.Activity, Effect: s.Override.Effect, Until: s.Override.Until}
		if s.Override.Color != nil {
			ov.Color, ov.HasColor = *s.Override.Color, true
		}
	}
	o.p.SetOverride(ov)
	o.p.SetPaused(s.Paused, s.PausedUntil)
}

// Status implements statuser.
func (o *mqttOutput) Status() []OutputStatus {
	st := o.p.Status()
	os := OutputStatus{Name: "mqtt", Kind: "mqtt", State: "connected", Detail: st.Broker}
	if !st.Connected {
		os.State = "disconnected"
	}
	if st.LastError != nil {
		os.State = "error"
		if st.Connected {
			os.State = "connected"
		}
		os.Detail = st.Broker + ": " + st.LastError.Error()
	}
	return []OutputStatus{os}
}
