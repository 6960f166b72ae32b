package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/secret"
	"github.com/onair-dev/onair/mapping"
)

// DiscoveryMode selects how Home Assistant discovery is published.
type DiscoveryMode string

// Discovery modes.
const (
	// DiscoveryDevice publishes one message per HA device on
	// <prefix>/device/<object_id>/config (Home Assistant 2024.11 and later).
	DiscoveryDevice DiscoveryMode = "device"
	// DiscoveryComponents publishes one message per entity on
	// <prefix>/<component>/<node_id>/<object_id>/config, for older Home
	// Assistant versions and other consumers of the classic layout.
	DiscoveryComponents DiscoveryMode = "components"
	// DiscoveryOff publishes no discovery and removes what an earlier run
	// published.
	DiscoveryOff DiscoveryMode = "off"
)

// SignFormat is the payload a door sign expects.
type SignFormat string

// Sign formats.
const (
	// SignJSON publishes a retained JSON object: color, brightness, effect,
	// label, availability, activity.
	SignJSON SignFormat = "json"
	// SignText publishes the label alone, retained.
	SignText SignFormat = "text"
	// SignWLED drives a WLED controller through its MQTT API: "#RRGGBB" on
	// <topic>/col, brightness 0–255 or "OFF" on <topic>, and the effect as a
	// JSON-API message on <topic>/api. Topic is WLED's device topic
	// ("wled/door"), as set in its Sync settings.
	SignWLED SignFormat = "wled"
)

// Sign is a door sign or WLED strip that follows one watched user.
type Sign struct {
	// Name identifies the sign in logs and errors.
	Name string
	// User is the watched user's key, as in UserState.User ("me" or a UPN).
	// Matched by Slug, so case does not matter.
	User string
	// Topic is the full topic the sign listens on; no prefix is added.
	Topic string
	// Format is json (default), text or wled.
	Format SignFormat
	// Exit is what the sign shows after a clean stop, before "offline" on
	// the status topic; nil is DefaultSignExit. ExitKeep leaves the sign
	// showing the last signal instead.
	Exit     *mapping.Signal
	ExitKeep bool
}

// Command-topic and payload limits.
const (
	// MaxCommandSize is the largest command payload accepted, in bytes.
	MaxCommandSize = 1024
	// MaxCommandDuration is the longest "for" accepted in a command.
	MaxCommandDuration = mapping.MaxOverride
)

// Options configures a Publisher. Zero fields take the defaults documented on
// each field; DefaultOptions returns them filled in.
type Options struct {
	// Broker is the broker URL: tcp://, ssl://, ws://, wss://, or the aliases
	// mqtt:// (tcp) and mqtts:// (ssl). A bare "host" or "host:port" means
	// tcp. A missing port takes the scheme default: 1883, 8883, 80, 443.
	// Required.
	Broker string
	// ClientID is the MQTT client identifier. Default "onair-<node_id>",
	// which is stable across restarts. Two clients with one ID knock each
	// other off the broker, so give each daemon its own.
	ClientID string
	// Username and Password authenticate to the broker; both optional. The
	// config layer resolves password_file and environment references.
	Username string
	Password secret.Secret
	// CAFile is a PEM bundle of CAs trusted in addition to the system pool.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key; set both or
	// neither.
	CertFile string
	KeyFile  string
	// InsecureSkipVerify disables server certificate verification. Run logs a
	// warning when it is set. For test brokers only.
	InsecureSkipVerify bool
	// TopicPrefix is the first level of every onair topic. Default "onair".
	TopicPrefix string
	// NodeID names this daemon in topics and unique IDs. Default: the host
	// name up to the first dot. Lower-cased and reduced to [a-z0-9_-].
	NodeID string
	// FormerNodeID, when set, is a node ID this daemon published under
	// before (the bare host name, before node IDs got a per-machine
	// suffix): its discovery configs and retained topics are removed from
	// the broker, so Home Assistant keeps no ghost device (migrate.go).
	FormerNodeID string
	// DiscoveryPrefix is Home Assistant's discovery prefix. Default
	// "homeassistant".
	DiscoveryPrefix string
	// Discovery is device (default), components or off.
	Discovery DiscoveryMode
	// BirthTopic is where Home Assistant announces itself; "online" there
	// makes the publisher re-send discovery and state. Default: both
	// "<DiscoveryPrefix>/status" and "homeassistant/status" (HA's default
	// birth topic does not follow a custom discovery prefix).
	BirthTopic string
	// Version is onair's version, shown as the origin's sw_version in HA.
	Version string
	// Signs are the door signs and WLED strips to drive.
	Signs []Sign
	// PlainTopics also publishes each user's availability, activity,
	// colour and label as plain retained topics (<user>/availability, …)
	// for consumers that cannot read JSON. Off, each user is one retained
	// JSON message (<user>/state), which Home Assistant reads with a
	// value_template per entity: a fifth of the messages per change.
	PlainTopics bool
	// OnCommand receives every valid command from the command topic, one at a
	// time, on a goroutine owned by Run; it must return promptly (Run waits
	// for it on shutdown). A returned error is published on the error topic.
	// Nil means commands are answered with an error.
	OnCommand func(Command) error
	// Timeout bounds every wait on the broker: connect, subscribe, publish
	// acks. Default 10 s. A cancel during a connect attempt to an
	// unresponsive host returns after at most this long.
	Timeout time.Duration
	// KeepAlive is the MQTT keep-alive: with no traffic for this long the
	// client pings the broker, and a broker that does not answer is
	// noticed within two keep-alives of the last traffic (liveness.go).
	// Default 30 s; at least 1 s.
	KeepAlive time.Duration
	// Logger receives transition logs. Default: discard.
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultTopicPrefix     = "onair"
	DefaultDiscoveryPrefix = "homeassistant"
	DefaultTimeout         = 10 * time.Second
	DefaultKeepAlive       = 30 * time.Second
)

// DefaultOptions returns the defaults for every optional field: topic prefix
// "onair", discovery prefix "homeassistant", device discovery, the node ID
// derived from the host name, client ID "onair-<node_id>", a 10 s timeout.
func DefaultOptions() Options {
	o := Options{}
	o.fillDefaults()
	return o
}

func (o *Options) fillDefaults() {
	if o.TopicPrefix == "" {
		o.TopicPrefix = DefaultTopicPrefix
	}
	if o.DiscoveryPrefix == "" {
		o.DiscoveryPrefix = DefaultDiscoveryPrefix
	}
	if o.Discovery == "" {
		o.Discovery = DiscoveryDevice
	}
	if o.NodeID == "" {
		h, _ := os.Hostname()
		h, _, _ = strings.Cut(h, ".")
		o.NodeID = h
	}
	o.NodeID = sanitizeNodeID(o.NodeID)
	if o.ClientID == "" {
		o.ClientID = defaultClientID(o.NodeID)
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	o.KeepAlive = max(o.KeepAlive.Truncate(time.Second), time.Second) // paho counts whole seconds
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	for i := range o.Signs {
		if o.Signs[i].Format == "" {
			o.Signs[i].Format = SignJSON
		}
	}
}

// sanitizeNodeID lower-cases s and replaces every rune outside [a-z0-9_-]
// with "_"; an empty result becomes "onair".
func sanitizeNodeID(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if out == "" {
		return "onair"
	}
	return out
}

// brokerURL parses and normalises Options.Broker.
func parseBroker(s string) (*url.URL, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("broker is required (e.g. tcp://localhost:1883)")
	}
	if !strings.Contains(s, "://") {
		s = "tcp://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid broker %q: %w", in, err)
	}
	var port string
	switch strings.ToLower(u.Scheme) {
	case "tcp", "mqtt":
		u.Scheme, port = "tcp", "1883"
	case "ssl", "tls", "mqtts":
		u.Scheme, port = "ssl", "8883"
	case "ws":
		u.Scheme, port = "ws", "80"
	case "wss":
		u.Scheme, port = "wss", "443"
	default:
		return nil, fmt.Errorf("invalid broker %q: unsupported scheme %q (want tcp, ssl, ws, wss, mqtt or mqtts)", in, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("invalid broker %q: no host", in)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("invalid broker %q: port %q is not a number from 1 to 65535", in, p)
		}
	} else {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	if u.User != nil {
		return nil, fmt.Errorf("invalid broker %q: put credentials in username and password, not in the URL", redactURL(u))
	}
	if (u.Scheme == "tcp" || u.Scheme == "ssl") && u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("invalid broker %q: a path is only meaningful for ws:// and wss://", in)
	}
	if u.Scheme == "tcp" || u.Scheme == "ssl" {
		u.Path = ""
	}
	return u, nil
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// tlsConfig builds the TLS configuration for ssl:// and wss:// brokers. It
// reads the CA and client certificate files, so New reports a bad path.
func (o *Options) tlsConfig(u *url.URL) (*tls.Config, error) {
	secure := u.Scheme == "ssl" || u.Scheme == "wss"
	if !secure {
		if o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" || o.InsecureSkipVerify {
			return nil, fmt.Errorf("tls options are set but broker %q is not ssl:// or wss://", u.String())
		}
		return nil, nil
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         u.Hostname(),
		InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // opt-in, warned about in Run.
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %q: no PEM certificates found", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("cert_file and key_file must be set together")
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// validate checks the options after defaults were filled and returns every
// problem.
func (o *Options) validate() error {
	var errs []error
	if err := validTopicLevels("topic_prefix", o.TopicPrefix); err != nil {
		errs = append(errs, err)
	}
	if err := validTopicLevels("discovery_prefix", o.DiscoveryPrefix); err != nil {
		errs = append(errs, err)
	}
	if o.BirthTopic != "" {
		if err := validTopicLevels("birth_topic", o.BirthTopic); err != nil {
			errs = append(errs, err)
		}
	}
	switch o.Discovery {
	case DiscoveryDevice, DiscoveryComponents, DiscoveryOff:
	default:
		errs = append(errs, fmt.Errorf("discovery: invalid mode %q (want device, components or off)", o.Discovery))
	}
	if len(o.ClientID) > 65535 || strings.ContainsAny(o.ClientID, "\x00") {
		errs = append(errs, fmt.Errorf("client_id: invalid %q", o.ClientID))
	}
	names := map[string]bool{}
	topics := map[string]bool{}
	for i, s := range o.Signs {
		p := fmt.Sprintf("signs[%d]", i)
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: required", p))
		} else if names[s.Name] {
			errs = append(errs, fmt.Errorf("%s.name: duplicate %q", p, s.Name))
		}
		names[s.Name] = true
		if strings.TrimSpace(s.User) == "" {
			errs = append(errs, fmt.Errorf("%s.user: required", p))
		}
		if err := validTopicLevels(p+".topic", s.Topic); err != nil {
			errs = append(errs, err)
		} else if topics[s.Topic] {
			errs = append(errs, fmt.Errorf("%s.topic: %q is used by another sign", p, s.Topic))
		}
		topics[s.Topic] = true
		switch s.Format {
		case SignJSON, SignText, SignWLED:
		default:
			errs = append(errs, fmt.Errorf("%s.format: invalid %q (want json, text or wled)", p, s.Format))
		}
	}
	return errors.Join(errs...)
}

// validTopicLevels checks that s is a publishable topic: non-empty, no
// wildcards, no NUL, no empty levels, no leading "$".
func validTopicLevels(field, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s: required", field)
	case strings.ContainsAny(s, "+#\x00"):
		return fmt.Errorf("%s: %q must not contain +, # or NUL", field, s)
	case strings.HasPrefix(s, "$"):
		return fmt.Errorf("%s: %q must not start with $", field, s)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return fmt.Errorf("%s: %q has an empty topic level", field, s)
	}
	return nil
}

// defaultClientID is the MQTT client ID of a daemon with no client_id of
// its own: shared by every onair with the same node ID.
func defaultClientID(nodeID string) string { return "onair-" + nodeID }
