//go:build !windows

package main

import "io"

// enableVT: Unix terminals interpret escape sequences as they are; see
// console_windows.go for the console that needs switching.
func enableVT(io.Writer) bool { return true }
