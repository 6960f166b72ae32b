package main

import (
	"bytes"
	"os"
	"testing"

	"golang.org/x/sys/windows"
)

// TestEnableVTNoConsole: a pipe, a file or a buffer is no console, so
// enableVT says no and the terminal output falls back to the plain swatch.
func TestEnableVTNoConsole(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if enableVT(w) {
		t.Error("enableVT(pipe) = true, want false")
	}
	if enableVT(&bytes.Buffer{}) {
		t.Error("enableVT(buffer) = true, want false")
	}
}

// TestEnableVTConsole: on a console (CONOUT$, the console of this process
// whatever stdout is redirected to) enableVT turns virtual terminal
// processing on, as the read-back mode shows.
func TestEnableVTConsole(t *testing.T) {
	con, err := os.OpenFile("CONOUT$", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("this process has no console (CONOUT$: %v); TestEnableVTNoConsole covers the fallback", err)
	}
	defer con.Close()
	h := windows.Handle(con.Fd())
	var before uint32
	if err := windows.GetConsoleMode(h, &before); err != nil {
		t.Fatalf("GetConsoleMode(CONOUT$): %v", err)
	}
	defer windows.SetConsoleMode(h, before)
	if err := windows.SetConsoleMode(h, before&^windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING); err != nil {
		t.Fatalf("SetConsoleMode: %v", err)
	}
	ok := enableVT(con)
	var after uint32
	windows.GetConsoleMode(h, &after)
	if ok != (after&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0) {
		t.Errorf("enableVT = %v but the console mode is %#x", ok, after)
	}
	if !ok {
		t.Logf("this console refuses virtual terminal processing (mode %#x): onair prints the plain swatch", after)
	}
}
