package daemon

import (
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/configs"
)

// TestExampleConfigLightsEveryLight: the config `onair config example`
// writes takes every detected light, whatever its brand (its lights:
// section is commented out), and shows presence on all of them in working
// hours, in this computer's time zone (no time_zone is set).
func TestExampleConfigLightsEveryLight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		usb := newFakeUSB(kuandoOmega, luxaforFlag, blynclight)
		d, _, stop := startLights(t, string(configs.Example), busy(), usb, slog.LevelInfo)
		defer stop()
		// The bubble's clock starts on Saturday 2000-01-01: off hours.
		// Monday 09:00 local is inside mon-fri 08:00–18:00.
		monday := time.Date(2000, 1, 3, 9, 0, 0, 0, time.Local)
		time.Sleep(time.Until(monday) + time.Minute)
		synctest.Wait()

		var lit []string
		for _, st := range d.Outputs() {
			if st.Kind != "usb" || st.Name == "usb" {
				continue
			}
			if st.State != "connected" || !strings.HasPrefix(st.Signal, "#ff0000") {
				t.Errorf("light %s: %s %q, want connected and red (busy)", st.Name, st.State, st.Signal)
			}
			lit = append(lit, st.Name)
		}
		if len(lit) != 3 {
			t.Errorf("lights in use %v, want all three detected (Kuando, Luxafor, Embrava)", lit)
		}
		for _, info := range []string{kuandoOmega.Path, luxaforFlag.Path, blynclight.Path} {
			if len(usb.light(info).writes()) == 0 {
				t.Errorf("light at %s was never written", info)
			}
		}
	})
}
