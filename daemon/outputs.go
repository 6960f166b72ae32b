package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/lights"
	"github.com/onair-dev/onair/daemon/output/mqtt"
	"github.com/onair-dev/onair/daemon/output/terminal"
	"github.com/onair-dev/onair/daemon/output/web"
	"github.com/onair-dev/onair/daemon/output/webhook"
	"github.com/onair-dev/onair/mapping"
)

// The daemon is the only composition root: this file builds each output
// from the settings and wires its callbacks (a light's button, an MQTT
// command) back to the daemon. The output packages know nothing of the
// daemon or of each other.

type outputSlot struct {
	out output.Output
	mb  *output.Mailbox
	// kind is "lights" or "mqtt" for the outputs a config reload may
	// restart, "" for those without options (terminal, tests); spec holds
	// the options it was built from, compared on reload.
	kind string
	spec any
	// cancel stops it; done is closed when its Run has returned; after,
	// when set, is the done of the output it replaces (see startSlot).
	cancel context.CancelFunc
	done   chan struct{}
	after  <-chan struct{}
}

func (d *Daemon) addOutput(o output.Output) {
	d.outs = append(d.outs, &outputSlot{out: o, mb: output.NewMailbox()})
}

func (d *Daemon) addSlot(kind string, o output.Output, spec any) {
	d.outs = append(d.outs, &outputSlot{out: o, mb: output.NewMailbox(), kind: kind, spec: spec})
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
	if err := d.addMQTT(); err != nil {
		return err
	}
	return d.addWeb()
}

// addWeb adds the web output (web.enabled) and one output per webhook.
func (d *Daemon) addWeb() error {
	for _, w := range d.newWebOutputs(d.set) {
		if w.err != nil {
			return w.err
		}
		d.addSlot(w.kind, w.out, w.spec)
	}
	return nil
}

// webOutput is a web or webhook output built from the settings, with the
// options it was built from (spec, compared on reload) under its slot kind:
// "web", or "webhook:<name>".
type webOutput struct {
	kind string
	out  output.Output
	spec any
	err  error
}

// newWebOutputs builds the web output and the webhooks set asks for.
func (d *Daemon) newWebOutputs(set *config.Settings) []webOutput {
	var outs []webOutput
	if set.Web != nil {
		spec := *set.Web // no callbacks: comparable on reload
		o := spec
		o.State = func() any {
			// Handlers call this concurrently; Status asks MSAL for the
			// account, so it is bounded.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			return d.Status(ctx)
		}
		o.Outputs = d.Outputs
		o.Logger = d.log.With("component", "web")
		out, err := web.New(o)
		if err != nil {
			err = fmt.Errorf("web: %w", err)
		}
		outs = append(outs, webOutput{kind: "web", out: out, spec: spec, err: err})
	}
	for _, spec := range set.Webhooks {
		h := spec
		h.Logger = d.log.With("component", "webhook", "webhook", h.Name)
		out, err := webhook.New(h)
		if err != nil {
			err = fmt.Errorf("webhooks: %s: %w", h.Name, err)
		}
		outs = append(outs, webOutput{kind: "webhook:" + h.Name, out: out, spec: spec, err: err})
	}
	return outs
}

// Outputs returns the status of every output.
func (d *Daemon) Outputs() []output.Status {
	d.mu.Lock()
	outs := d.outs
	d.mu.Unlock()
	var out []output.Status
	for _, o := range outs {
		out = append(out, o.out.Status()...)
	}
	return out
}

// addLights adds the USB lights output.
func (d *Daemon) addLights() error {
	o, spec, err := d.newLights(d.set)
	if err != nil {
		return err
	}
	d.addSlot("lights", o, spec)
	return nil
}

// lightsSpec is what the lights output is built from, compared on reload.
type lightsSpec struct {
	Entries []lights.Entry
	Users   []string
	Rules   mapping.Rules
}

// newLights builds the USB lights output for set.
func (d *Daemon) newLights(set *config.Settings) (output.Output, lightsSpec, error) {
	var entries []lights.Entry
	for _, l := range set.Lights {
		entries = append(entries, lights.Entry{
			Name: l.Name, Vendor: l.Vendor, Model: l.Model, Serial: l.Serial, Path: l.Path,
			User: l.User, Brightness: l.Brightness, Rules: l.Rules, ExitOff: l.ExitOff, Disabled: l.Disabled,
		})
	}
	spec := lightsSpec{Entries: entries, Users: keysOf(set.Users), Rules: set.Rules}
	lo := lights.Options{
		Backend: d.opts.lights, // nil: the real USB backend, with hot-plug notifications
		Entries: entries,
		Users:   spec.Users,
		Rules:   set.Rules,
		Logger:  d.log.With("component", "lights"),
		Press:   d.lightButton,
	}
	if d.opts.lightsOpts != nil {
		d.opts.lightsOpts(&lo)
	}
	o, err := lights.New(lo)
	if err != nil {
		return nil, spec, err
	}
	return o, spec, nil
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
	if d.set.MQTT == nil {
		return nil
	}
	o, spec, err := d.newMQTT(d.set)
	if err != nil {
		return err
	}
	d.addSlot("mqtt", o, spec)
	return nil
}

// newMQTT builds the MQTT output for set. The spec is its options without
// the callbacks; the watched users are not part of it, since a running
// output takes new ones without a reconnect (mqtt.Output.SetUsers).
func (d *Daemon) newMQTT(set *config.Settings) (output.Output, mqtt.Options, error) {
	opts := mqttOptions(set, d.opts.Version, d.mqttCommand, d.log.With("component", "mqtt"))
	opts.NodeID, opts.FormerNodeID = d.nodeID(set)
	spec := opts
	// The migration happens once per daemon; it does not make a reload
	// see a change.
	spec.FormerNodeID = ""
	spec.OnCommand, spec.Logger = nil, nil
	o, err := mqtt.NewOutput(opts, keysOf(set.Users))
	if err != nil {
		return nil, spec, fmt.Errorf("mqtt: %w", err)
	}
	return o, spec, nil
}

// mqttOptions are the MQTT output's options for set.
func mqttOptions(set *config.Settings, version string, onCommand func(mqtt.Command) error, log *slog.Logger) mqtt.Options {
	m := set.MQTT
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
		Version:            version,
		OnCommand:          onCommand,
		Logger:             log,
	}
	for _, s := range set.Signs {
		opts.Signs = append(opts.Signs, mqtt.Sign{Name: s.Name, User: s.User, Topic: s.Topic, Format: mqtt.SignFormat(s.Format), Exit: s.Exit, ExitKeep: s.ExitKeep})
	}
	return opts
}

// mqttCommand applies a command from the MQTT command topic, with the same
// meaning as `onair set/clear/pause/resume`.
func (d *Daemon) mqttCommand(c mqtt.Command) error {
	switch c.Kind {
	case mqtt.CommandSet:
		mo := mapping.Override{Availability: c.Availability, Activity: c.Activity, Color: c.Color, HasColor: c.HasColor, Effect: c.Effect, Label: c.Label}
		o := output.OverrideOf(mo, "", "mqtt")
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
