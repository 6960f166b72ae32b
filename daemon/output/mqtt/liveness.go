package mqtt

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// A broker that freezes (a hung process, a link that drops packets without
// a reset) leaves the TCP connection open, so only the MQTT keep-alive
// notices: with no traffic for KeepAlive paho sends PINGREQ, and without a
// PINGRESP within the ping timeout it drops the connection. paho checks
// every KeepAlive/4 (every 5 s above 10 s), so the loss is seen at most
// KeepAlive + check + pingTimeout + check after the last traffic; with the
// ping timeout at a quarter of KeepAlive (capped by Timeout) that is under
// two keep-alives: 30 s + 5 + 7.5 + 5 = 47.5 s for the default. See
// ping.go in github.com/eclipse/paho.mqtt.golang.

// ErrBrokerSilent means the broker stopped answering on an open connection.
var ErrBrokerSilent = errors.New("broker stopped answering (no reply to a keep-alive ping): check that the broker is running and reachable")

// pingTimeout is how long to wait for PINGRESP.
func pingTimeout(o Options) time.Duration {
	return max(min(o.Timeout, o.KeepAlive/4), 100*time.Millisecond)
}

// silentBroker names paho's keep-alive failure for what it is.
func silentBroker(err error, o Options) error {
	if err != nil && strings.Contains(err.Error(), "pingresp not received") {
		return fmt.Errorf("%w; keep-alive %s, ping timeout %s", ErrBrokerSilent, o.KeepAlive, pingTimeout(o))
	}
	return err
}
