//go:build !linux

package main

// raiseTimerSlack does nothing: timer slack (timerslack_linux.go) is a
// Linux setting.
func raiseTimerSlack() {}
