package config

import (
	"strings"
	"testing"

	"github.com/onair-dev/onair/mapping"
)

func TestSignExit(t *testing.T) {
	const head = "version: 1\nmqtt:\n  broker: tcp://localhost:1883\nsigns:\n"
	cfg, err := Parse([]byte(head + `  - topic: a/default
  - topic: a/keep
    exit: keep
  - topic: a/off
    exit: off
  - topic: a/blue
    exit: {color: blue, brightness: 30, label: Back soon}
  - topic: a/dark
    exit: {label: Gone home}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	got := s.Signs
	if got[0].Exit != nil || got[0].ExitKeep || got[2].Exit != nil || got[2].ExitKeep {
		t.Errorf("default and off exits = %+v, %+v; want the default (nil)", got[0], got[2])
	}
	if !got[1].ExitKeep {
		t.Errorf("exit: keep = %+v", got[1])
	}
	if e := got[3].Exit; e == nil || *e != (mapping.Signal{Color: mapping.Blue, Brightness: 30, Effect: mapping.Solid, Label: "Back soon", Rule: "exit"}) {
		t.Errorf("exit mapping = %+v", e)
	}
	if e := got[4].Exit; e == nil || e.Effect != mapping.Off || e.Label != "Gone home" {
		t.Errorf("exit with a label only = %+v, want dark", e)
	}

	for in, want := range map[string]string{
		"exit: maybe":                      `exit "maybe": want keep, off`,
		"exit: {colour: red}":              `unknown key "colour"`,
		"exit: {color: '#ggg'}":            `signs[0].exit.color: invalid colour`,
		"exit: {color: red, effect: keep}": "write `exit: keep`",
		"exit: {brightness: 300}":          "signs[0].exit.brightness: invalid brightness 300",
	} {
		cfg, err := Parse([]byte(head + "  - topic: a/b\n    " + in + "\n"))
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}
