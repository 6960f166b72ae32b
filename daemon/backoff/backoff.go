// Package backoff is onair's one retry schedule: the Graph poll after
// errors and the MQTT reconnect both wait base·2ⁿ⁻¹, capped, spread by
// ±10 % so that many daemons do not retry in lockstep (after a broker
// restart, or a Graph outage that ends for everyone at once).
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay returns the wait after n consecutive failures: base for n ≤ 1,
// doubling with every further failure up to limit, then jittered.
func Delay(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return Jitter(min(d, limit))
}

// Jitter spreads d by ±10 %.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d - d/10 + rand.N(d/5+1)
}
