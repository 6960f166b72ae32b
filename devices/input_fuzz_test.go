package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

// FuzzReadInput feeds arbitrary input reports to every light with a button;
// decoding must never panic and must return a known button state.
func FuzzReadInput(f *testing.F) {
	f.Add([]byte{0x83, 0x00})
	f.Add([]byte{0x00, 0x83})
	f.Add([]byte{0x00, 0x00, 0x00, 0x04, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Add([]byte{0xFF})
	infos := []devices.Info{luxaforMute, mutemeInfo}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, info := range infos {
			rec := &devicestest.Record{Reads: [][]byte{data}}
			d, err := devices.Open(info, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			in, err := d.ReadInput(0)
			if err != nil {
				t.Fatal(err)
			}
			if in.Button > devices.ButtonUp {
				t.Fatalf("%s: ReadInput(% X) = %v", info, data, in.Button)
			}
		}
	})
}
