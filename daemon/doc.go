// Package daemon is onair's composition root. It builds the presence source
// (daemon/graph after sign-in through daemon/auth, or the demo), keeps the
// presence state (state.go) and turns it into snapshots through the mapping
// rules, the working-hours schedule and any manual override, and hands each
// snapshot to the outputs it built from the config (daemon/config): USB
// lights, MQTT and the terminal, each a package under daemon/output. It
// also serves the local control API that `onair status`, `onair set` and
// friends talk to.
//
// It is not a library for other programs: only cmd/onair imports it, and
// no package it imports imports it back (deps_test.go holds the table).
package daemon
