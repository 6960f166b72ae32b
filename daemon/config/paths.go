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

// DefaultPaths returns the per-user locations: the config in
// os.UserConfigDir (XDG_CONFIG_HOME on Linux and BSDs, ~/Library/Application
// Support on macOS, %AppData% on Windows); the token cache in the state
// directory (XDG_STATE_HOME, which the standard library has no function
// for; the config directory on macOS; os.UserCacheDir, %LocalAppData%, on
// Windows); the socket in XDG_RUNTIME_DIR where there is one. system
// selects the locations of a system-wide service (/etc/onair,
// /var/lib/onair, /run/onair; %ProgramData%\onair on Windows).
func DefaultPaths(system bool) Paths {
	if system {
		if runtime.GOOS == "windows" {
			base := filepath.Join(envOr("ProgramData", `C:\ProgramData`), "onair")
			return Paths{Config: filepath.Join(base, "config.yaml"), TokenCache: filepath.Join(base, "token-cache.json"), Socket: filepath.Join(base, "control.json")}
		}
		return Paths{Config: "/etc/onair/config.yaml", TokenCache: "/var/lib/onair/token-cache.json", Socket: "/run/onair/control.sock"}
	}
	home, _ := os.UserHomeDir()
	cfg, err := os.UserConfigDir()
	if err != nil {
		// No $HOME (or %AppData%): relative paths still work for a
		// foreground run in a scratch directory.
		cfg = filepath.Join(home, ".config")
	}
	cfg = filepath.Join(cfg, "onair")
	switch runtime.GOOS {
	case "windows":
		state := filepath.Join(home, "AppData", "Local")
		if dir, err := os.UserCacheDir(); err == nil {
			state = dir
		}
		state = filepath.Join(state, "onair")
		return Paths{Config: filepath.Join(cfg, "config.yaml"), TokenCache: filepath.Join(state, "token-cache.json"), Socket: filepath.Join(state, "control.json")}
	case "darwin":
		return Paths{Config: filepath.Join(cfg, "config.yaml"), TokenCache: filepath.Join(cfg, "token-cache.json"), Socket: filepath.Join(cfg, "control.sock")}
	}
	state := envOr("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	run := envOr("XDG_RUNTIME_DIR", filepath.Join(state, "onair"))
	return Paths{
		Config:     filepath.Join(cfg, "config.yaml"),
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
