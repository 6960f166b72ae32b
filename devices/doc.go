// Package devices encodes the reports that make USB busy lights show a
// colour, and decodes the few inputs they send back (mute buttons).
//
// It is not a USB stack: it does no enumeration, I/O scheduling, networking or
// logging, starts no goroutines and reads no clock. Each vendor file is a pure
// encoder from [State] to reports; the one concrete [Device] writes those
// reports through a small [Transport] implemented by devices/hid (HID lights
// through github.com/karalabe/hid), devices/serial (USB CDC serial lights) and
// devices/devicestest (playback and record for tests). The daemon owns the
// goroutines: it calls [Device.KeepAlive] every [Device.KeepAlivePeriod] and
// renders the effects a light cannot do by itself with [State.At] and
// [Device.Frame] every [FrameInterval].
//
// Serial lights answer their commands; Device reads each reply through the
// same Transport and fails a write the light did not acknowledge
// ([ErrNoReply], reply.go). Package devices/hotplug says when the USB bus
// changed, so the daemon enumerates on events instead of on a timer.
//
// The one table of known lights is in registry.go; [Lookup] finds the driver
// for an enumerated [Info] and [UdevRules] renders the Linux udev rules from
// the same table.
//
// # Supported hardware
//
// Protocol facts come from the project's protocol notes, devices/PROTOCOLS.md
// (the section is named on each driver).
//
//	Vendor              Models                              VID:PID                        Bus     Hardware effects  Input
//	Kuando (Plenom)     Busylight Alpha, UC, Omega, model 2 27BB:3BCA 3BCB 3BCD 3BCE 3BCF   hid     blink, pulse      -
//	                    old Busylight                       04D8:F848                      hid     blink, pulse      -
//	Luxafor             Flag, Orb, Mute, Bluetooth          04D8:F372 (by product string)  hid     -                 Mute button
//	Embrava             Blynclight, Plus, Mini              2C0D:0001 0002 0003 000A 000C  hid     blink             -
//	                                                        2C0D:0010, 0E53:2516 2517 2519
//	Plantronics (Poly)  Status Indicator                    047F:D005                      hid     blink             -
//	Embrava (early)     Blync BLYNCUSB10 (7 colours)        1130:0001 0002 (interface 1)   hid     -                 -
//	Embrava (early)     Blync BLYNCUSB20 (7 colours)        1130:1E00 (interface 1)        hid     -                 -
//	ThingM              blink(1) mk1, mk2, mk3              27B8:01ED                      hid     -                 -
//	Agile Innovative    BlinkStick, Pro, Square, Strip,     20A0:41E5                      hid     -                 -
//	                    Nano, Flex
//	EPOS (Sennheiser)   UI 20 BL USB busylight              1395:0074 (not on Windows)     hid     -                 -
//	MuteMe              Original, Mini                      16C0:27DB 20A0:42DA 42DB       hid     blink, pulse      touch
//	                                                        3603:0001 0002 0003 0004
//	CompuLab            fit-statUSB                         2047:03DF                      serial  blink             -
//	Busy Tag (Greynut)  Busy Tag                            303A:81DF                      serial  -                 -
//
// Kuando lights need a keep-alive at least every 10 s or they go dark.
package devices
