// Package configs holds the files onair ships besides its binary: the
// commented example config, the udev rules and the service templates. The
// binary embeds the ones it prints or installs. It has no logic.
package configs

import _ "embed"

// Example is the commented example config that `onair config example`
// prints. It passes `onair config check`, with one warning: its client_id
// is a placeholder for the reader's own (README: "Sign in").
//
//go:embed onair.example.yaml
var Example []byte
