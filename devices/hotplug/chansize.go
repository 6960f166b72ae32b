//go:build linux || windows

package hotplug

// chanSize is the buffer between the OS source and the caller; a hub with
// several lights plugged in at once yields a few dozen events.
const chanSize = 256
