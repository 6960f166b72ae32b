// Package e2e runs the USB/IP end-to-end bench: it finds the cached guest
// assets (kernel, modules, busybox), builds a static guest program and an
// initramfs, boots a Linux guest in QEMU (TCG) whose only network path leads
// to loopback listeners of the host test, and talks to the guest agent
// (devices/usbip/guest) over a line-delimited JSON control connection.
//
// It fetches nothing: .ci/e2e-assets.sh fills the cache. It is not a
// general VM library; it knows exactly one guest layout.
package e2e

// Guest addresses. QEMU's user network forwards connections to these
// guest-side addresses to the host test (guestfwd); nothing else is
// reachable from the guest (restrict=on).
const (
	GuestUSBIPAddr   = "10.0.2.100:3240"
	GuestControlAddr = "10.0.2.100:3241"
)

// Ops of the guest agent.
const (
	// OpAttach imports BusID from the USB/IP server and attaches it to
	// vhci_hcd; the reply carries the vhci Port.
	OpAttach = "attach"
	// OpDetach detaches vhci Port.
	OpDetach = "detach"
	// OpWait polls enumeration until a HID interface matching VID, PID
	// (and Product/Interface when set) is Present (or absent when
	// Present is false), for at most TimeoutMS.
	OpWait = "wait"
	// OpEnumerate lists the HID interfaces with VID:PID (0:0 lists all).
	OpEnumerate = "enumerate"
	// OpOpen opens the matching interface with devices/hid and
	// devices.Open; the reply carries a Handle.
	OpOpen = "open"
	// OpSet calls Device.Set with Color, Effect and PeriodMS.
	OpSet = "set"
	// OpFrame calls Device.Frame with Color.
	OpFrame = "frame"
	// OpKeepAlive calls Device.KeepAlive.
	OpKeepAlive = "keepalive"
	// OpRead calls Device.ReadInput with TimeoutMS; the reply carries
	// Button.
	OpRead = "read"
	// OpClose calls Device.Close.
	OpClose = "close"
	// OpStart starts Args as a background process (the daemon) with Env
	// added to the agent's environment, its output going to the serial
	// console.
	OpStart = "start"
	// OpStop sends SIGTERM to the process started by OpStart and waits
	// for it at most TimeoutMS; the reply carries its exit status.
	OpStop = "stop"
	// OpExit ends the agent; the guest powers off.
	OpExit = "exit"
)

// Request is one command from the host test to the guest agent.
type Request struct {
	Op        string   `json:"op"`
	BusID     string   `json:"busid,omitempty"`
	Port      int      `json:"port,omitempty"`
	VID       uint16   `json:"vid,omitempty"`
	PID       uint16   `json:"pid,omitempty"`
	Product   string   `json:"product,omitempty"`
	Interface *int     `json:"interface,omitempty"`
	Present   bool     `json:"present,omitempty"`
	Handle    int      `json:"handle,omitempty"`
	Color     [3]uint8 `json:"color,omitempty"`
	Effect    string   `json:"effect,omitempty"`
	PeriodMS  int      `json:"period_ms,omitempty"`
	TimeoutMS int      `json:"timeout_ms,omitempty"`
	Args      []string `json:"args,omitempty"`
	// Env holds extra KEY=value pairs for OpStart.
	Env []string `json:"env,omitempty"`
}

// Response is the agent's answer to one Request. Error is empty on success.
// A request the agent could not finish within its deadline answers
// Error = ErrHang.
type Response struct {
	Error     string       `json:"error,omitempty"`
	Port      int          `json:"port,omitempty"`
	Handle    int          `json:"handle,omitempty"`
	Devices   []DeviceInfo `json:"devices,omitempty"`
	Button    string       `json:"button,omitempty"`
	ElapsedMS int64        `json:"elapsed_ms,omitempty"`
	Exit      string       `json:"exit,omitempty"`
}

// ErrHang is the Response.Error of a call that did not return in time.
const ErrHang = "hang: call did not return before its deadline"

// DeviceInfo is one enumerated HID interface as the guest saw it.
type DeviceInfo struct {
	VID          uint16 `json:"vid"`
	PID          uint16 `json:"pid"`
	Release      uint16 `json:"release"`
	Interface    int    `json:"interface"`
	Product      string `json:"product"`
	Manufacturer string `json:"manufacturer"`
	Serial       string `json:"serial"`
	Path         string `json:"path"`
}
