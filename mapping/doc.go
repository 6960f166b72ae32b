// Package mapping is onair's shared vocabulary: presence as Microsoft Graph
// reports it (Availability, Activity, Presence), the light signal onair shows
// (Signal, Color, Effect), the ordered Rules that turn one into the other,
// the daemon's own states (State), and the override grammar every interface
// reads (Override, ParseOverride, OverrideText, ParseDuration with the one
// bound MaxOverride).
//
// Every spelling a user meets is accepted wherever a value is read: Graph's
// DoNotDisturb and doNotDisturb, MQTT's do_not_disturb, do-not-disturb and
// the short word dnd (NormalizeWord, ShortWords). Times shown to a person go
// through FormatUntil, so that an instant that is not today carries its day.
// mapping/mappingtest holds the cases that the CLI, the control API, MQTT
// commands and config rules must all read the same way.
//
// It is pure: no I/O, no clocks, no logging, no goroutines. Every other
// onair package speaks these types at its boundary.
package mapping
