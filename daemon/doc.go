// Package daemon is onair's composition root. It loads and validates the
// config, signs in (daemon/auth), polls presence (daemon/graph or the demo
// source), decides each output's signal through the mapping rules, the
// working-hours schedule and any manual override, and fans the result out to
// the outputs: USB lights (devices), MQTT (daemon/mqtt) and the terminal.
// It also serves the local control API that `onair status`, `onair set` and
// friends talk to.
//
// It is not a library for other programs: only cmd/onair imports it.
package daemon
