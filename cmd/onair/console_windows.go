package main

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// enableVT switches the console behind w to ENABLE_VIRTUAL_TERMINAL_PROCESSING
// so that the 24-bit colour swatch of the terminal output (daemon/output/terminal)
// is drawn instead of printed as raw escape codes. Consoles since Windows 10
// 1511 and Windows Terminal support it; when the console refuses (older
// conhost, a console host without VT), or w is no console, it returns false
// and onair prints the plain "[#rrggbb]" swatch instead.
// https://learn.microsoft.com/windows/console/console-virtual-terminal-sequences
func enableVT(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	if err := windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING); err != nil {
		return false
	}
	// Some hosts accept the call and drop the flag: believe the read-back.
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	return mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0
}
