//go:build !cgo

package hid

// cgoEnabled reports whether this build can use karalabe/hid's C code. In a
// CGO_ENABLED=0 build karalabe/hid compiles to its own stub
// (hid.Supported() is false) and this package returns ErrNoUSB.
const cgoEnabled = false
