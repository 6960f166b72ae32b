package mqtt

import (
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// untilLabel is the label a door sign shows for u at now: "In a meeting ·
// until 14:30" when the calendar says how long the person is busy and
// Teams agrees they are busy (not to someone who left a meeting early).
// A manual override, a pause and the daemon's own states keep their
// label. The web sign shows "until" on a line of its own, so only MQTT's
// label and signs carry it in the text.
func untilLabel(now time.Time, u output.UserView) string {
	sig := u.Signal
	if u.BusyUntil.IsZero() || !u.BusyUntil.After(now) || sig.Label == "" || u.State != mapping.StateNormal ||
		sig.Rule == "paused" || strings.HasPrefix(sig.Rule, "override") || !output.Busy(u.Presence) {
		return sig.Label
	}
	return sig.Label + " · until " + mapping.FormatUntil(now, u.BusyUntil.In(now.Location()))
}
