// Package tray is `onair tray`: a status-area icon for the logged-in user
// that shows the running daemon's signal colour and offers quick overrides,
// pause and sign-in from its menu. It talks to the daemon only through the
// local control API (the same calls as `onair status`, `onair set`, `onair
// clear`, `onair pause` and `onair resume`), like `tailscale systray` talks to
// tailscaled.
//
// The package is split so that most of it is testable without a desktop:
// Build turns a status document into a Model (icon, tooltip, menu labels and
// enabled/checked/visible flags), Render draws the icon, Do carries out a
// menu action on a Client, and Run binds all of that to fyne.io/systray
// (StatusNotifierItem and com.canonical.dbusmenu over D-Bus on Linux and the
// BSDs, Shell_NotifyIcon on Windows, NSStatusItem on macOS, which needs cgo).
// The autostart helpers register `onair tray` to start at login, per OS
// convention.
//
// It is not a settings UI: the config file stays the one place for
// settings, and the tray never talks to Graph or to lights itself.
package tray
