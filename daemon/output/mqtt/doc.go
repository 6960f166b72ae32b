// Package mqtt publishes onair's presence and light signals over MQTT: the
// per-user state topics, Home Assistant MQTT discovery (device-based or
// per-component), door-sign topics (JSON, plain text, WLED), and a command
// topic through which Home Assistant or any MQTT client can override or pause
// the daemon.
//
// A Publisher is built with New (no I/O beyond reading TLS files), started
// with Run (which owns the broker connection and every goroutine), and fed by
// the daemon through non-blocking calls (Update, SetHealth, SetOverride,
// SetPaused, SetUsers). Between those calls and the broker sits a map of
// topic → latest payload, not a queue: while the broker is away only the
// newest value per topic is kept, and everything is re-sent on reconnect.
//
// It is not a general MQTT client, it does not decide what a presence looks
// like (mapping and the daemon do), and it does not apply commands: it parses
// them and hands them to Options.OnCommand.
//
// Topic layout (prefix "onair", node "pi", user "jane.doe@contoso.com"):
//
//	onair/pi/status                          online | offline (retained, LWT)
//	onair/pi/health                          {"state":"ok","message":""} (retained)
//	onair/pi/override                        {"option":"busy",...} (retained)
//	onair/pi/paused                          {"paused":true,"until":"..."} (retained)
//	onair/pi/set                             commands in (see ParseCommand)
//	onair/pi/error                           command errors out (not retained)
//	onair/pi/jane_doe_contoso_com/state      JSON state (retained)
//	onair/pi/jane_doe_contoso_com/availability, …/activity, …/color, …/label
//	                                         plain values, with Options.PlainTopics only
package mqtt
