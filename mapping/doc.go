// Package mapping is onair's shared vocabulary: presence as Microsoft Graph
// reports it (Availability, Activity, Presence), the light signal onair shows
// (Signal, Color, Effect), and the ordered Rules that turn one into the other.
//
// It is pure: no I/O, no clocks, no logging, no goroutines. Every other
// onair package speaks these types at its boundary.
package mapping
