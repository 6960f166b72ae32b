package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/onair-dev/onair/daemon/output/lights"
	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/hid"
	"github.com/onair-dev/onair/mapping"
)

const lightsUsage = `Usage:
  onair lights [--json] [--all]       list the USB lights attached
  onair lights test [--color C] [--effect E] [--record]
                                      cycle red, green, blue, yellow, purple, off on each light
  onair lights udev                   print the Linux udev rules that let you use
                                      the lights without root (Linux)

onair lights test -h and onair lights udev -h show their flags.
`

// udevHint is how to give a Linux user access to the lights.
const udevHint = "onair lights udev | sudo tee /etc/udev/rules.d/60-onair.rules && sudo udevadm control --reload && sudo udevadm trigger"

func cmdLights(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "list":
			return lightsList(e, args[1:])
		case "test":
			return lightsTest(ctx, e, args[1:])
		case "udev":
			return lightsUdev(e, args[1:])
		}
		fmt.Fprintf(e.stderr, "onair lights: unknown verb %q\n%s", args[0], lightsUsage)
		return exitUsage
	}
	return lightsList(e, args)
}

// lightsFlags is a FlagSet whose usage leaves out the hidden flags. As for
// every command, -h/--help prints the usage on stdout; after a usage error
// it goes to stderr. `onair lights -h` also lists the verbs (test, udev).
func lightsFlags(e *env, name, argsUsage string, hidden ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("onair "+name, flag.ContinueOnError)
	out := &flagOutput{w: e.stderr}
	fs.SetOutput(out)
	fs.Usage = func() {
		w := out.pick(e.stdout)
		if name == "lights" {
			fmt.Fprint(w, lightsUsage)
			fmt.Fprintln(w, "\nFlags of onair lights:")
		} else {
			fmt.Fprintf(w, "Usage: onair %s %s\n", name, argsUsage)
		}
		fs.VisitAll(func(f *flag.Flag) {
			for _, h := range hidden {
				if f.Name == h {
					return
				}
			}
			kind, usage := flag.UnquoteUsage(f)
			if kind != "" {
				kind = " " + kind
			}
			fmt.Fprintf(w, "  --%s%s\n    \t%s\n", f.Name, kind, usage)
		})
	}
	return fs
}

// lightRow is one line of `onair lights`, and its --json shape. The keys
// are stable; device is the enumerated device as --replay reads it back.
type lightRow struct {
	Vendor    string       `json:"vendor"`
	Model     string       `json:"model"`
	ID        string       `json:"id"`
	Driver    string       `json:"driver"`
	Supported bool         `json:"supported"`
	Reason    string       `json:"reason"`
	Device    devices.Info `json:"device"`

	driver *devices.Driver
}

func newLightRow(info devices.Info, goos string) lightRow {
	r := lightRow{ID: fmt.Sprintf("%04X:%04X", info.VID, info.PID), Device: info}
	d, err := devices.Lookup(info)
	if err != nil {
		r.Reason = devices.ErrUnknownDevice.Error()
		return r
	}
	r.driver = d
	r.Vendor, r.Model, r.Driver = d.Vendor, d.Model(info), d.Name
	if err := d.Supported(info, goos); err != nil {
		r.Reason = err.Error()
		if _, why, ok := strings.Cut(r.Reason, devices.ErrUnsupported.Error()+": "); ok {
			r.Reason = why
		}
		return r
	}
	r.Supported = true
	return r
}

// sortRows puts lights before other devices, then orders by vendor, model
// and path, so the output does not depend on enumeration order.
func sortRows(rows []lightRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if (a.driver == nil) != (b.driver == nil) {
			return a.driver != nil
		}
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Device.Path < b.Device.Path
	})
}

// findLights returns the devices to list or drive: from the replay file
// when there is one, else from the USB bus. Unknown devices are kept only
// with all. A partial enumeration (a build without cgo still finds serial
// lights) is returned with its error.
func findLights(replay string, all bool) ([]devices.Info, error) {
	if replay == "" {
		return lights.Enumerate(all)
	}
	infos, err := readReplay(replay)
	if err != nil {
		return nil, err
	}
	if all {
		return infos, nil
	}
	var known []devices.Info
	for _, info := range infos {
		if _, err := devices.Lookup(info); err == nil {
			known = append(known, info)
		}
	}
	return known, nil
}

// replayError marks an unreadable --replay file (exit 1, before anything
// is listed).
type replayError struct{ err error }

func (e *replayError) Error() string { return e.err.Error() }
func (e *replayError) Unwrap() error { return e.err }

// readReplay reads a device list: a JSON array of devices
// (devices.LoadInfoJSON), or the output of `onair lights --json`, whose
// "device" fields are those devices. Users can send the latter for support.
func readReplay(path string) ([]devices.Info, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &replayError{fmt.Errorf("--replay: %w", err)}
	}
	infos, err := devices.LoadInfoJSON(bytes.NewReader(b))
	if err == nil {
		return infos, nil
	}
	var rows []map[string]json.RawMessage
	if json.Unmarshal(b, &rows) == nil && len(rows) > 0 && rows[0]["device"] != nil {
		infos = nil
		for i, r := range rows {
			var info devices.Info
			if err := json.Unmarshal(r["device"], &info); err != nil {
				return nil, &replayError{fmt.Errorf("--replay %s: light %d: device: %w", path, i+1, err)}
			}
			infos = append(infos, info)
		}
		return infos, nil
	}
	return nil, &replayError{fmt.Errorf("--replay %s: %w (want a JSON array of devices, or the output of onair lights --json)", path, err)}
}

// enumerationProblem says what a failed enumeration means to the user.
func enumerationProblem(err error) string {
	if errors.Is(err, hid.ErrNoUSB) && !hid.Supported() {
		return "built without USB support (CGO_ENABLED=0): this onair cannot reach USB HID lights; " +
			"use a release build or build with cgo (serial lights are still found)"
	}
	return err.Error()
}

func lightsList(e *env, args []string) int {
	fs := lightsFlags(e, "lights", "[--json] [--all]", "replay", "os")
	asJSON := fs.Bool("json", false, "print JSON with stable keys")
	all := fs.Bool("all", false, "also list HID devices and serial ports that are not known lights")
	replay := fs.String("replay", "", "read the devices from this `file` (a JSON device list, or onair lights --json output) instead of the USB bus")
	goos := fs.String("os", runtime.GOOS, "decide support for this `OS` (linux, darwin, windows)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "lights") {
		return exitUsage
	}
	if *goos != runtime.GOOS && *goos != "linux" && *goos != "darwin" && *goos != "windows" {
		fmt.Fprintf(e.stderr, "onair lights: --os %q: want linux, darwin or windows\n", *goos)
		return exitUsage
	}
	infos, err := findLights(*replay, *all)
	var rerr *replayError
	if errors.As(err, &rerr) {
		return fail(e, err)
	}
	rows := make([]lightRow, 0, len(infos))
	for _, info := range infos {
		rows = append(rows, newLightRow(info, *goos))
	}
	sortRows(rows)
	if *asJSON {
		writeJSON(e.stdout, rows)
	} else if len(rows) > 0 {
		printLights(e.stdout, rows)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "onair lights: %s\n", enumerationProblem(err))
		return exitFailure
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.stderr, "onair lights: no USB light found.\n"+
			"  Plug one in; 'onair lights --all' lists every HID device and USB serial port.\n")
		// The udev rule is Linux's; Windows and macOS need no setup.
		if runtime.GOOS == "linux" {
			fmt.Fprintf(e.stderr, "  On Linux a light also needs the udev rule, then unplug it and plug it in again:\n"+
				"    %s\n", udevHint)
		}
	}
	return exitOK
}

func printLights(w io.Writer, rows []lightRow) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tMODEL\tID\tSERIAL\tPATH\tDRIVER\tSUPPORTED")
	for _, r := range rows {
		supported := "yes"
		if !r.Supported {
			supported = "no: " + r.Reason
		}
		model := r.Model
		if r.driver == nil {
			model = r.Device.Product
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orDash(r.Vendor), orDash(model), r.ID,
			orDash(r.Device.Serial), orDash(r.Device.Path), orDash(r.Driver), supported)
	}
	tw.Flush()
}

func lightsUdev(e *env, args []string) int {
	fs := newFlags(e, "lights udev", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "lights udev") {
		return exitUsage
	}
	fmt.Fprint(e.stdout, devices.UdevRules())
	return exitOK
}

// testStep is one state of `onair lights test`.
type testStep struct {
	name  string
	state devices.State
	dur   time.Duration
}

// testSteps is the colour cycle, or the one colour/effect asked for.
func testSteps(colorFlag, effectFlag string) ([]testStep, error) {
	if colorFlag == "" && effectFlag == "" {
		var steps []testStep
		for _, c := range []struct {
			name string
			c    mapping.Color
		}{{"red", mapping.Red}, {"green", mapping.Green}, {"blue", mapping.Blue}, {"yellow", mapping.Yellow}, {"purple", mapping.Purple}} {
			steps = append(steps, testStep{c.name, devices.State{Color: c.c.NRGBA()}, time.Second})
		}
		return append(steps, testStep{"off", devices.State{Effect: devices.Off}, time.Second}), nil
	}
	c := mapping.Red
	if colorFlag != "" {
		var err error
		if c, err = mapping.ParseColor(colorFlag); err != nil {
			return nil, fmt.Errorf("--color: %w", err)
		}
	}
	e := devices.Solid
	if effectFlag != "" {
		var err error
		if e, err = devices.ParseEffect(effectFlag); err != nil {
			return nil, fmt.Errorf("--effect: %w", err)
		}
	}
	st := devices.State{Color: c.NRGBA(), Effect: e}
	name := strings.TrimSpace(c.String() + " " + e.String())
	return []testStep{{name, st, 5 * time.Second}, {"off", devices.State{Effect: devices.Off}, 0}}, nil
}

// testLight is one light opened by `onair lights test`.
type testLight struct {
	name string
	dev  *devices.Device
	rec  *recorder // nil without --record
}

func lightsTest(ctx context.Context, e *env, args []string) int {
	fs := lightsFlags(e, "lights test", "[--color C] [--effect E] [--record]", "replay")
	colorFlag := fs.String("color", "", "show only this `colour` (a name, #RGB, #RRGGBB or rgb(r,g,b)) for 5 s")
	effectFlag := fs.String("effect", "", "show only this `effect` (solid, blink, pulse, off) for 5 s")
	record := fs.Bool("record", false, "print the reports sent to each light as Go []devicestest.Op literals")
	replay := fs.String("replay", "", "dry run: the lights listed in this `file`, no hardware touched; prints the reports")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "lights test") {
		return exitUsage
	}
	steps, err := testSteps(*colorFlag, *effectFlag)
	if err != nil {
		fmt.Fprintf(e.stderr, "onair lights test: %v\n", err)
		return exitUsage
	}
	dry := *replay != ""
	infos, err := findLights(*replay, false)
	var rerr *replayError
	if errors.As(err, &rerr) {
		return fail(e, err)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "onair lights test: %s\n", enumerationProblem(err))
	}

	sort.SliceStable(infos, func(i, j int) bool { return infos[i].Path < infos[j].Path })
	var lights []testLight
	failed := false
	for _, info := range infos {
		l, err := openTestLight(info, dry, *record || dry)
		switch {
		case errors.Is(err, devices.ErrUnsupported):
			fmt.Fprintf(e.stderr, "onair lights test: skipped %v\n", err)
			continue
		case err != nil:
			failed = true
			fmt.Fprintf(e.stderr, "onair lights test: %v\n", err)
			fmt.Fprintln(e.stderr, "  (a running onair daemon holds its lights: stop it first, e.g. onair service stop)")
			continue
		}
		lights = append(lights, l)
	}
	defer func() {
		for _, l := range lights {
			l.dev.Close()
		}
	}()
	if len(lights) == 0 {
		if len(infos) == 0 && err == nil {
			fmt.Fprintf(e.stderr, "onair lights test: no USB light found; see 'onair lights'. On Linux: %s\n", udevHint)
		}
		return exitFailure
	}

	for _, step := range steps {
		dur := step.dur
		if dry {
			dur = 0 // nothing to look at
		}
		fmt.Fprintf(e.stderr, "%s\n", step.name)
		if err := showAll(ctx, lights, step.state, dur); err != nil {
			if ctx.Err() != nil {
				// Interrupted: leave the lights dark.
				offCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				showAll(offCtx, lights, devices.State{Effect: devices.Off}, 0)
				cancel()
				fmt.Fprintln(e.stderr, "onair lights test: interrupted")
				return exitFailure
			}
			fmt.Fprintf(e.stderr, "onair lights test: %v\n", err)
			failed = true
			break
		}
	}
	for _, l := range lights {
		if l.rec != nil {
			fmt.Fprintf(e.stdout, "// %s\n%#v\n", l.name, l.rec)
		}
	}
	if failed {
		return exitFailure
	}
	return exitOK
}

// openTestLight opens one light, through a Record when record is set; dry
// records without a device behind it.
func openTestLight(info devices.Info, dry, record bool) (testLight, error) {
	l := testLight{name: fmt.Sprintf("%04X:%04X %s", info.VID, info.PID, info.Path)}
	d, err := devices.Lookup(info)
	if err != nil {
		return l, fmt.Errorf("%s: %w", l.name, err)
	}
	l.name = fmt.Sprintf("%s %s, %04X:%04X %s", d.Vendor, d.Model(info), info.VID, info.PID, info.Path)
	if err := d.Supported(info, runtime.GOOS); err != nil {
		return l, err
	}
	var t devices.Transport
	if !dry {
		if t, err = lights.Open(info); err != nil {
			return l, err
		}
	}
	if record {
		l.rec = &recorder{t: t}
		t = l.rec
	}
	l.dev, err = devices.Open(info, t, nil)
	return l, err
}

// showAll shows s on every light at once for d.
func showAll(ctx context.Context, ls []testLight, s devices.State, d time.Duration) error {
	errs := make([]error, len(ls))
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			if err := lights.Show(ctx, l.dev, s, d); err != nil {
				errs[i] = fmt.Errorf("%s: %w", l.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// recorder is the transport of `onair lights test --record` and --replay:
// it passes each report on (to nothing in a dry run) and keeps it, to be
// printed as a Go []devicestest.Op literal ready for a driver's vector
// table (devices/devicestest reads that format). It is not that package's
// Record, so that the shipped binary links no test helper.
type recorder struct {
	t   devices.Transport // nil: dry run
	mu  sync.Mutex
	ops []string // "Write", "Feature" or "Read", then the bytes as a literal
}

var _ devices.Transport = (*recorder)(nil)

func (r *recorder) add(kind string, p []byte) {
	var b strings.Builder
	fmt.Fprintf(&b, "{Kind: devicestest.%s, Data: []byte{", kind)
	for i, v := range p {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "0x%02X", v)
	}
	b.WriteString("}}")
	r.mu.Lock()
	r.ops = append(r.ops, b.String())
	r.mu.Unlock()
}

// Write implements devices.Transport.
func (r *recorder) Write(p []byte) (int, error) {
	r.add("Write", p)
	if r.t == nil {
		return len(p), nil
	}
	return r.t.Write(p)
}

// SendFeatureReport implements devices.Transport.
func (r *recorder) SendFeatureReport(p []byte) (int, error) {
	r.add("Feature", p)
	if r.t == nil {
		return len(p), nil
	}
	return r.t.SendFeatureReport(p)
}

// ReadTimeout implements devices.Transport: a dry run reads nothing.
func (r *recorder) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	if r.t == nil {
		return 0, nil
	}
	n, err := r.t.ReadTimeout(p, timeout)
	if n > 0 {
		r.add("Read", p[:n])
	}
	return n, err
}

// Close implements devices.Transport.
func (r *recorder) Close() error {
	if r.t == nil {
		return nil
	}
	return r.t.Close()
}

// GoString returns the recorded reports as a []devicestest.Op literal.
func (r *recorder) GoString() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("[]devicestest.Op{\n")
	for _, op := range r.ops {
		fmt.Fprintf(&b, "\t%s,\n", op)
	}
	b.WriteString("}")
	return b.String()
}
