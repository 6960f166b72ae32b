//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"fmt"
	"log/slog"

	"github.com/godbus/dbus/v5"
)

// watcherName is the bus name of the StatusNotifierWatcher, which desktop
// panels own to collect tray items; see
// https://www.freedesktop.org/wiki/Specifications/StatusNotifierItem/StatusNotifierWatcher/
const watcherName = "org.kde.StatusNotifierWatcher"

// preflight checks that there is a session bus before fyne.io/systray tries
// it: systray only logs a failed connection and then waits forever, which
// would leave `onair tray` hanging with no icon and no error. A missing
// StatusNotifierWatcher is only a warning, because systray registers as
// soon as a panel starts one.
func preflight(log *slog.Logger) error {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return fmt.Errorf("onair tray needs the desktop session's D-Bus, and it cannot connect to it (%w): run it from your desktop session, where DBUS_SESSION_BUS_ADDRESS is set", err)
	}
	defer conn.Close()
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has); err != nil {
		return fmt.Errorf("tray: ask the session bus for %s: %w", watcherName, err)
	}
	if !has {
		log.Warn("no StatusNotifierWatcher on the session bus, so no panel shows tray icons yet; on GNOME, enable the AppIndicator extension (gnome-shell-extension-appindicator). Waiting for one to appear.", "name", watcherName)
	}
	return nil
}
