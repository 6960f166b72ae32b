package configs

import _ "embed"

// The service templates. `onair service install` fills in the @NAME@
// placeholders (see cmd/onair/service_render.go) and writes the result;
// `--dry-run` prints the same text.
var (
	// SystemdUser is the systemd user unit (WantedBy=default.target).
	//
	//go:embed systemd/onair-user.service
	SystemdUser string

	// SystemdSystem is the systemd system unit for headless machines,
	// running as a dedicated user.
	//
	//go:embed systemd/onair-system.service
	SystemdSystem string

	// LaunchdAgent is the macOS LaunchAgent property list.
	//
	//go:embed launchd/onair.plist
	LaunchdAgent string
)
