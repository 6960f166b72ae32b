package devices_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/onair-dev/onair/devices"
)

func TestInfoJSONRoundTrip(t *testing.T) {
	in := []devices.Info{
		{VID: 0x27BB, PID: 0x3BCD, Product: "BUSYLIGHT OMEGA", Manufacturer: "PLENOM APS", Serial: "123", Interface: 0, Path: "1-2:1.0", Bus: devices.HID, Release: 0x0100},
		{VID: 0x2047, PID: 0x03DF, Interface: -1, Path: "/dev/ttyACM0", Bus: devices.Serial},
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `[{"vid":"27bb","pid":"3bcd","product":"BUSYLIGHT OMEGA","manufacturer":"PLENOM APS","serial":"123","interface":0,"path":"1-2:1.0","bus":"hid","release":"0100"},` +
		`{"vid":"2047","pid":"03df","path":"/dev/ttyACM0","bus":"serial"}]`
	if string(data) != wantJSON {
		t.Errorf("json:\n got %s\nwant %s", data, wantJSON)
	}
	out, err := devices.LoadInfoJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestLoadInfoJSON(t *testing.T) {
	got, err := devices.LoadInfoJSON(strings.NewReader(`[
		{"vid": "0x04D8", "pid": "f372", "product": "LUXAFOR FLAG"},
		{"vid": 10171, "pid": 15309}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []devices.Info{
		{VID: 0x04D8, PID: 0xF372, Product: "LUXAFOR FLAG", Interface: -1, Bus: devices.HID},
		{VID: 0x27BB, PID: 0x3BCD, Interface: -1, Bus: devices.HID},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{
		`[{"vid": "zz", "pid": "1"}]`,
		`[{"vid": "12345", "pid": "1"}]`,
		`[{"vid": 70000, "pid": 1}]`,
		`[{"vid": "1", "pid": "1", "colour": "red"}]`,
		`[{"vid": "1", "pid": "1", "bus": "usb"}]`,
		`[] []`,
		`{"vid": "1"}`,
		``,
	} {
		if _, err := devices.LoadInfoJSON(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadInfoJSON(%s) succeeded", bad)
		}
	}
}
