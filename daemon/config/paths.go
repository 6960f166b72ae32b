package config

import (
	"os"
	"path/filepath"
	"runtime"
)

// Paths are the files onair reads and writes. The zero value is not
// useful; call DefaultPaths.
type Paths struct {
	// Config is the config file.
	Config string
	// TokenCache is the MSAL token cache (mode 0600).
	TokenCache string
	// Socket is the local control API's Unix socket, or on Windows the file
	// holding the loopback address and secret.
	Socket string
}

// DefaultPaths returns the per-user locations: XDG_CONFIG_HOME,
// XDG_STATE_HOME and XDG_RUNTIME_DIR on Linux and BSDs, ~/Library/Application
// Support on macOS, %AppData% and %LocalAppData% on Windows. system selects
// the locations of a system-wide service (/etc/onair, /var/lib/onair,
// /run/onair; %ProgramData%\onair on Windows).
func DefaultPaths(system bool) Paths {
	if system {
		switch runtime.GOOS {
		case "windows":
			base := filepath.Join(envOr("ProgramData", `C:\ProgramData`), "onair")
			return Paths{Config: filepath.Join(base, "config.yaml"), TokenCache: filepath.Join(base, "token-cache.json"), Socket: filepath.Join(base, "control.json")}
		default:
			return Paths{Config: "/etc/onair/config.yaml", TokenCache: "/var/lib/onair/token-cache.json", Socket: "/run/onair/control.sock"}
		}
	}
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "windows":
		cfg := filepath.Join(envOr("AppData", filepath.Join(home, "AppData", "Roaming")), "onair")
		state := filepath.Join(envOr("LocalAppData", filepath.Join(home, "AppData", "Local")), "onair")
		return Paths{Config: filepath.Join(cfg, "config.yaml"), TokenCache: filepath.Join(state, "token-cache.json"), Socket: filepath.Join(state, "control.json")}
	case "darwin":
		base := filepath.Join(home, "Library", "Application Support", "onair")
		return Paths{Config: filepath.Join(base, "config.yaml"), TokenCache: filepath.Join(base, "token-cache.json"), Socket: filepath.Join(base, "control.sock")}
	}
	cfg := envOr("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	state := envOr("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	run := envOr("XDG_RUNTIME_DIR", filepath.Join(state, "onair"))
	return Paths{
		Config:     filepath.Join(cfg, "onair", "config.yaml"),
		TokenCache: filepath.Join(state, "onair", "token-cache.json"),
		Socket:     filepath.Join(run, "onair.sock"),
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
