package daemon

import (
	"errors"
	"fmt"
	"strings"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/lights"
	"github.com/onair-dev/onair/daemon/output/mqtt"
	"github.com/onair-dev/onair/daemon/output/terminal"
)

// The daemon is the only composition root: this file builds each output
// from the settings and wires its callbacks (a light's button, an MQTT
// command) back to the daemon. The output packages know nothing of the
// daemon or of each other.

type outputSlot struct {
	out output.Output
	mb  *output.Mailbox
}

func (d *Daemon) addOutput(o output.Output) {
	d.outs = append(d.outs, &outputSlot{out: o, mb: output.NewMailbox()})
}

// addOutputs adds the terminal light (Options.Terminal), the extra outputs
// of tests, USB lights (unless Options.NoLights) and MQTT (when mqtt.broker
// is set).
func (d *Daemon) addOutputs() error {
	if d.opts.Terminal != nil {
		d.addOutput(terminal.New(terminal.Options{W: d.opts.Terminal, Color: d.opts.TerminalColor}))
	}
	for _, o := range d.opts.outputs {
		d.addOutput(o)
	}
	if !d.opts.NoLights {
		if err := d.addLights(); err != nil {
			return err
		}
	}
	return d.addMQTT()
}

// Outputs returns the status of every output.
func (d *Daemon) Outputs() []output.Status {
	var out []output.Status
	for _, o := range d.outs {
		out = append(out, o.out.Status()...)
	}
	return out
}

// addLights adds the USB lights output.
func (d *Daemon) addLights() error {
	var entries []lights.Entry
	for _, l := range d.set.Lights {
		entries = append(entries, lights.Entry{
			Name: l.Name, Vendor: l.Vendor, Model: l.Model, Serial: l.Serial, Path: l.Path,
			User: l.User, Brightness: l.Brightness, Rules: l.Rules, ExitOff: l.ExitOff, Disabled: l.Disabled,
		})
	}
	lo := lights.Options{
		Backend: d.opts.lights, // nil: the real USB backend, with hot-plug notifications
		Entries: entries,
		Users:   d.userKeys(),
		Rules:   d.set.Rules,
		Logger:  d.log.With("component", "lights"),
		Press:   d.lightButton,
	}
	if d.opts.lightsOpts != nil {
		d.opts.lightsOpts(&lo)
	}
	o, err := lights.New(lo)
	if err != nil {
		return err
	}
	d.addOutput(o)
	return nil
}

// lightButton is called when the button of a light (Luxafor Mute, MuteMe)
// is pressed: it toggles the pause, so one press darkens every output and
// the next one brings the signal back.
func (d *Daemon) lightButton(light string) {
	d.mu.Lock()
	paused := d.st.paused
	d.mu.Unlock()
	if paused {
		d.log.Info("light button pressed: resuming", "light", light)
		d.Resume()
		return
	}
	d.log.Info("light button pressed: pausing until the next press or onair resume", "light", light)
	d.Pause(0)
}

// addMQTT adds the MQTT publisher (Home Assistant, door signs, WLED) when
// mqtt.broker is set.
func (d *Daemon) addMQTT() error {
	m := d.set.MQTT
	if m == nil {
		return nil
	}
	opts := mqtt.Options{
		Broker:             m.Broker,
		ClientID:           m.ClientID,
		Username:           m.Username,
		Password:           m.Secret,
		CAFile:             m.CAFile,
		CertFile:           m.CertFile,
		KeyFile:            m.KeyFile,
		InsecureSkipVerify: m.InsecureSkipVerify,
		TopicPrefix:        m.TopicPrefix,
		NodeID:             m.NodeID,
		DiscoveryPrefix:    m.DiscoveryPrefix,
		Discovery:          mqtt.DiscoveryMode(strings.ToLower(m.Discovery)),
		PlainTopics:        m.PlainTopics,
		Version:            d.opts.Version,
		OnCommand:          d.mqttCommand,
		Logger:             d.log.With("component", "mqtt"),
	}
	for _, s := range d.set.Signs {
		opts.Signs = append(opts.Signs, mqtt.Sign{Name: s.Name, User: s.User, Topic: s.Topic, Format: mqtt.SignFormat(s.Format)})
	}
	o, err := mqtt.NewOutput(opts, d.userKeys())
	if err != nil {
		return fmt.Errorf("mqtt: %w", err)
	}
	d.addOutput(o)
	return nil
}

// mqttCommand applies a command from the MQTT command topic, with the same
// meaning as `onair set/clear/pause/resume`.
func (d *Daemon) mqttCommand(c mqtt.Command) error {
	switch c.Kind {
	case mqtt.CommandSet:
		o := output.Override{Availability: c.Availability, Activity: c.Activity, Effect: c.Effect, Source: "mqtt"}
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
