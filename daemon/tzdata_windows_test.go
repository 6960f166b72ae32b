package daemon

// The daemon's tests load schedule.time_zone names (Europe/Berlin in the
// example config); Windows has no zoneinfo Go can read, so this test binary
// embeds the database as cmd/onair/tzdata.go does for the real one.
import _ "time/tzdata"
