//go:build cgo

package hid

// cgoEnabled reports whether this build can use karalabe/hid's C code.
const cgoEnabled = true
