package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/config"
)

// serviceName names the service on every OS: the systemd unit onair.service,
// the launchd label onair, the Windows service onair.
const serviceName = "onair"

// serviceAccount is the dedicated user the Linux system service runs as.
const serviceAccount = "onair"

// serviceGroup is the group a headless account needs for USB lights on
// Debian and Raspberry Pi OS (the udev rules' GROUP).
const serviceGroup = "plugdev"

const serviceDescription = "Shows Microsoft Teams presence on USB busy-lights and MQTT."

// defaultWindowsExe is where a Windows definition rendered on another OS
// says the binary is when --executable is not given.
const defaultWindowsExe = `C:\Program Files\onair\onair.exe`

// serviceSpec is everything a service definition is rendered from, for any
// OS on any OS: the systemd unit, the launchd plist and the Windows service
// configuration all come from one spec, so --dry-run prints what install
// writes.
type serviceSpec struct {
	OS         string   // target OS: linux, darwin or windows
	System     bool     // system-wide service (always on Windows)
	Executable string   // absolute path of the onair binary the service runs
	Assumed    bool     // Executable is defaultWindowsExe, not given
	Args       []string // arguments after Executable, e.g. --system run --quiet
	Path       string   // where the definition file goes; "" on Windows
	LogFile    string   // macOS: the agent's stdout and stderr
	DataDir    string   // Windows: %ProgramData%\onair (config, tokens)
	Config     string   // the config file the service reads
	Account    string   // the account the service runs as
	Tray       bool     // install: also start `onair tray` at login
}

// serviceOSes are the targets onair can install itself on.
var serviceOSes = []string{"linux", "darwin", "windows"}

func cmdService(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		serviceUsage(e.stderr)
		return exitUsage
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "-h", "--help", "help":
		serviceUsage(e.stdout)
		return exitOK
	case "install", "uninstall", "start", "stop", "restart", "status":
	default:
		fmt.Fprintf(e.stderr, "onair service: unknown verb %q\n", verb)
		serviceUsage(e.stderr)
		return exitUsage
	}
	fs := newFlags(e, "service "+verb, "[--system]")
	fs.BoolVar(&e.system, "system", e.system, "the system-wide service (Linux: a system unit running as user "+serviceAccount+"; implied on Windows)")
	var dryRun, withTray bool
	goos, executable := runtime.GOOS, ""
	if verb == "install" || verb == "uninstall" {
		fs.Usage = func() {
			fmt.Fprintf(e.stderr, "Usage: onair service %s [--system]%s [--dry-run [--os linux|darwin|windows] [--executable PATH]]\n", verb, map[bool]string{true: " [--tray]"}[verb == "install"])
			fs.PrintDefaults()
		}
		fs.BoolVar(&dryRun, "dry-run", false, "print the unit, plist or Windows configuration and the commands; change nothing")
		fs.StringVar(&goos, "os", runtime.GOOS, "with --dry-run: render for this OS (linux, darwin, windows)")
		fs.StringVar(&executable, "executable", "", "path of the onair binary the service runs (default: this binary; for packagers)")
	}
	if verb == "install" {
		fs.BoolVar(&withTray, "tray", false, "also start the tray icon (onair tray) when you log in")
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "onair service %s: unexpected argument %q\n", verb, fs.Arg(0))
		return exitUsage
	}
	if !slices.Contains(serviceOSes, goos) {
		fmt.Fprintf(e.stderr, "onair service %s: --os %q: want linux, darwin or windows\n", verb, goos)
		return exitUsage
	}
	if goos != runtime.GOOS && !dryRun {
		fmt.Fprintf(e.stderr, "onair service %s: --os %s needs --dry-run (this machine runs %s)\n", verb, goos, runtime.GOOS)
		return exitUsage
	}
	if !slices.Contains(serviceOSes, runtime.GOOS) && !dryRun {
		return fail(e, fmt.Errorf("service %s: not supported on %s; onair installs itself on Linux (systemd), macOS (launchd) and Windows; --dry-run --os shows what it would write", verb, runtime.GOOS))
	}
	s, err := newServiceSpec(e, goos, executable)
	if err != nil {
		return fail(e, fmt.Errorf("service %s: %w", verb, err))
	}
	s.Tray = withTray
	var cfgErr error
	if verb == "install" && s.OS == runtime.GOOS {
		// A definition for another OS is not checked: its config is on the
		// other machine.
		_, cfgErr = s.env(e).loadConfig()
	}
	if dryRun {
		code := serviceDryRun(e, verb, s)
		if cfgErr != nil {
			// The definition is still shown (packagers render it on build
			// machines), but install would refuse.
			fmt.Fprintf(e.stderr, "onair service install --dry-run: warning: install would refuse the service's config %s:\n", s.cfgArg(e))
			reportConfigError(e, s.cfgArg(e), cfgErr)
		}
		return code
	}
	if cfgErr != nil {
		cfg := s.cfgArg(e)
		reportConfigError(e, cfg, cfgErr)
		return fail(e, fmt.Errorf("service install: the service's config %s is not usable; fix it first ('onair config check %s'); nothing was installed", cfg, cfg))
	}
	switch verb {
	case "install":
		err = serviceInstall(e, s)
	case "uninstall":
		err = serviceUninstall(e, s)
	case "status":
		st := queryService(s)
		fmt.Fprintln(e.stdout, st)
		if !st.Running {
			return exitFailure
		}
		return exitOK
	default:
		err = serviceControl(e, s, verb)
	}
	if err != nil {
		return fail(e, fmt.Errorf("service %s: %w", verb, err))
	}
	return exitOK
}

func serviceUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: onair service <verb> [--system] [flags]

Verbs:
  install    install onair as a service that starts at login (or at boot with --system), and start it
  uninstall  stop and remove the service
  start      start the installed service and wait until it runs (exit 1 with the reason if it does not)
  stop       stop it (the lights turn off, MQTT says offline)
  restart    stop and start it
  status     print whether the service is installed and running (exit 0 when running)

install and uninstall take --dry-run to print what they would write and run,
without changing anything; --os renders another OS's service definition.
install first checks the config the service will use (--config, else the
default location; none there means the defaults), as 'onair config check'.
Run 'onair service install -h' for the flags.
`)
}

// env is e as the service sees it: the Windows service is a system
// service without --system.
func (s serviceSpec) env(e *env) *env {
	se := *e
	se.system = s.System
	return &se
}

// cfgArg names the service's config file as the user gave it, for messages.
func (s serviceSpec) cfgArg(e *env) string { return s.env(e).paths().Config }

// newServiceSpec builds the spec for goos from the global flags: --config
// and --log-level are passed on to the service, --system selects the system
// service.
func newServiceSpec(e *env, goos, executable string) (serviceSpec, error) {
	native := goos == runtime.GOOS
	s := serviceSpec{OS: goos, System: e.system || goos == "windows"}
	if goos == "darwin" && e.system {
		return s, errors.New("--system is not supported on macOS: onair runs as a LaunchAgent in your login session, which owns the USB lights; install without --system")
	}
	switch {
	case executable == "" && goos == "windows" && !native:
		// This binary's path means nothing on the Windows machine.
		executable, s.Assumed = defaultWindowsExe, true
	case executable == "":
		exe, err := os.Executable()
		if err != nil {
			return s, fmt.Errorf("find the onair binary: %w (pass --executable)", err)
		}
		if resolved, err := filepath.EvalSymlinks(exe); err == nil {
			exe = resolved
		}
		executable = exe
	}
	if native {
		abs, err := filepath.Abs(executable)
		if err != nil {
			return s, fmt.Errorf("--executable %q: %w", executable, err)
		}
		executable = abs
	} else if !isAbsFor(goos, executable) {
		return s, fmt.Errorf("--executable %q: want an absolute %s path", executable, goos)
	}
	s.Executable = executable

	if e.configPath != "" {
		s.Config = e.configPath
		if native {
			abs, err := filepath.Abs(s.Config)
			if err != nil {
				return s, fmt.Errorf("--config %q: %w", s.Config, err)
			}
			s.Config = abs
		}
		s.Args = append(s.Args, "--config", s.Config)
	}
	if e.logLevel != "" {
		s.Args = append(s.Args, "--log-level", e.logLevel)
	}
	if s.System {
		s.Args = append(s.Args, "--system")
	}
	s.Args = append(s.Args, "run", "--quiet")

	switch {
	case goos == "linux" && s.System:
		s.Path = "/etc/systemd/system/" + serviceName + ".service"
		s.Account = serviceAccount
		s.Config = cmp.Or(s.Config, "/etc/onair/config.yaml")
	case goos == "windows":
		pd := os.Getenv("ProgramData")
		if pd == "" || !native {
			pd = `C:\ProgramData`
		}
		s.DataDir = strings.TrimRight(pd, `\`) + `\` + serviceName
		s.Account = "LocalSystem"
		s.Config = cmp.Or(s.Config, s.DataDir+`\config.yaml`)
	default:
		home, err := serviceHome(native && goos == "darwin")
		if err != nil {
			return s, err
		}
		s.Account = currentUser()
		s.Path = home + "/.config/systemd/user/" + serviceName + ".service"
		if goos == "darwin" {
			s.Path = home + "/Library/LaunchAgents/" + serviceName + ".plist"
			s.LogFile = home + "/Library/Logs/" + serviceName + ".log"
		}
	}
	return s, nil
}

// reportConfigError prints a config problem with the messages 'onair config
// check' prints: file:line: field: message, one per problem.
func reportConfigError(e *env, path string, err error) {
	if errors.Is(err, config.ErrNoConfig) {
		fmt.Fprintf(e.stderr, "onair: %s does not exist; `onair config example > %s` writes a commented example\n", path, path)
		return
	}
	fmt.Fprintln(e.stderr, err)
}

// isAbsFor reports whether path is absolute on goos.
func isAbsFor(goos, path string) bool {
	if goos == "windows" {
		return len(path) >= 3 && path[1] == ':' && (path[2] == '\\' || path[2] == '/') || strings.HasPrefix(path, `\\`)
	}
	return strings.HasPrefix(path, "/")
}

// serviceHome is the installing user's home: the user database on macOS
// (launchd's view, unaffected by sudo's HOME), $HOME elsewhere.
func serviceHome(userDB bool) (string, error) {
	if userDB {
		if u, err := user.Current(); err == nil && u.HomeDir != "" {
			return u.HomeDir, nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find your home directory: %w", err)
	}
	return home, nil
}

func currentUser() string {
	for _, k := range []string{"USER", "LOGNAME", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "$USER"
}

// serviceKind says in words what is installed, for messages.
func (s serviceSpec) serviceKind() string {
	switch {
	case s.OS == "linux" && s.System:
		return "systemd system unit"
	case s.OS == "linux":
		return "systemd user unit"
	case s.OS == "darwin":
		return "launchd agent"
	}
	return "Windows service"
}

// where says where the service is defined, for messages.
func (s serviceSpec) where() string {
	if s.Path != "" {
		return s.Path
	}
	return `HKLM\SYSTEM\CurrentControlSet\Services\` + serviceName
}

// systemFlag is the flag that names this service again in a hint.
func (s serviceSpec) systemFlag() string {
	if s.System && s.OS == "linux" {
		return " --system"
	}
	return ""
}

func (s serviceSpec) logHint() string {
	switch {
	case s.OS == "linux" && s.System:
		return "journalctl -u " + serviceName
	case s.OS == "linux":
		return "journalctl --user -u " + serviceName
	case s.OS == "darwin":
		return s.LogFile
	}
	return "Event Viewer, Application log"
}

// afterInstallHints says what to do next, per OS.
func (s serviceSpec) afterInstallHints() []string {
	switch {
	case s.OS == "linux" && s.System:
		return []string{
			"Config: " + s.Config + " (readable by user " + serviceAccount + "; e.g. root:" + serviceAccount + " mode 0640).",
			"Sign in for the service: sudo -u " + serviceAccount + " " + s.Executable + " --system login",
			"Logs: journalctl -u " + serviceName + " -f",
			"USB lights: user " + serviceAccount + " is in group " + serviceGroup + "; the udev rule must give that group access (see 'onair lights udev').",
		}
	case s.OS == "linux":
		return []string{
			"It starts when you log in. On a machine without a desktop login (a Raspberry Pi, a server), let it run at boot without a session:",
			"  sudo loginctl enable-linger " + s.Account,
			"Logs: journalctl --user -u " + serviceName + " -f",
		}
	case s.OS == "darwin":
		return []string{
			"It starts at every login and restarts if it exits.",
			"Logs: Console.app or: log show --last 1h --predicate 'process == \"onair\"'; crashes: " + s.LogFile,
		}
	}
	return []string{
		"The service runs as LocalSystem and reads " + s.Config + ".",
		"Sign in for the service from an elevated prompt: onair --system login",
		"Logs: Event Viewer > Windows Logs > Application, source " + serviceName + ".",
	}
}

func serviceDryRun(e *env, verb string, s serviceSpec) int {
	var steps []step
	if verb == "install" {
		def, err := s.render()
		if err != nil {
			return fail(e, fmt.Errorf("service install: %w", err))
		}
		// stdout carries only the definition, so it can be redirected to a
		// file (the Debian package's user unit is made this way).
		fmt.Fprint(e.stdout, def)
		steps = s.installPlan(e, def)
	} else {
		steps = s.uninstallPlan(e)
	}
	if s.Assumed {
		fmt.Fprintf(e.stderr, "onair service %s --dry-run: no --executable given: assuming %s\n", verb, s.Executable)
	}
	fmt.Fprintf(e.stderr, "onair service %s --dry-run: would %s the %s (%s):\n", verb, verb, s.serviceKind(), s.where())
	for _, st := range steps {
		fmt.Fprintf(e.stderr, "  %s\n", st.line)
	}
	if verb == "install" {
		fmt.Fprintln(e.stderr, "Then:")
		for _, h := range s.afterInstallHints() {
			fmt.Fprintf(e.stderr, "  %s\n", h)
		}
	}
	return exitOK
}

// errNotInstalled and errAlreadyInstalled are the conditions install and
// uninstall refuse on.
var (
	errNotInstalled     = errors.New("not installed")
	errAlreadyInstalled = errors.New("already installed")
)

func (s serviceSpec) alreadyInstalled() error {
	return fmt.Errorf("onair is %w as a %s (%s); run 'onair service uninstall%s' first", errAlreadyInstalled, s.serviceKind(), s.where(), s.systemFlag())
}

func (s serviceSpec) notInstalled() error {
	return fmt.Errorf("onair is %w as a %s (no %s); run 'onair service install%s' first", errNotInstalled, s.serviceKind(), s.where(), s.systemFlag())
}

// isInstalled reports whether the service is installed: its file exists
// (Linux, macOS) or the SCM knows it (Windows).
func (s serviceSpec) isInstalled() (bool, error) {
	if s.Path == "" {
		return scmInstalled()
	}
	_, err := os.Stat(s.Path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// serviceInstall checks that nothing is in the way, then runs the install
// plan, the steps --dry-run prints. A failed step undoes the steps before
// it, so the machine is never left half-installed.
func serviceInstall(e *env, s serviceSpec) error {
	def, err := s.render()
	if err != nil {
		return err
	}
	// "Installed?" is answered first, so the message is the same on every
	// machine whatever the rights.
	if ok, err := s.isInstalled(); err != nil || ok {
		return errors.Join(err, s.alreadyInstalled())
	}
	if err := checkInstallRights(s); err != nil {
		return err
	}
	if err := checkExecutable(s); err != nil {
		return err
	}
	if err := preflight(s); err != nil {
		return err
	}
	if err := runPlan(s.installPlan(e, def)); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Installed and started onair as a %s (%s).\n", s.serviceKind(), s.where())
	for _, h := range s.afterInstallHints() {
		fmt.Fprintln(e.stderr, h)
	}
	return nil
}

func serviceUninstall(e *env, s serviceSpec) error {
	if ok, err := s.isInstalled(); err != nil || !ok {
		return errors.Join(err, s.notInstalled())
	}
	if err := checkInstallRights(s); err != nil {
		return err
	}
	for _, st := range s.uninstallPlan(e) {
		if err := st.do(); err != nil {
			return fmt.Errorf("%s: %w", st.name(), err)
		}
	}
	fmt.Fprintf(e.stdout, "Uninstalled onair (%s %s).\n", s.serviceKind(), s.where())
	if s.OS == "linux" && s.System {
		fmt.Fprintf(e.stderr, "Kept /etc/onair, /var/lib/onair and user %s. To remove them too: sudo userdel %s && sudo rm -r /etc/onair /var/lib/onair\n", serviceAccount, serviceAccount)
	}
	return nil
}

// serviceControl starts, stops or restarts the installed service; start
// and restart wait until the daemon runs.
func serviceControl(e *env, s serviceSpec, verb string) error {
	if ok, err := s.isInstalled(); err != nil || !ok {
		return errors.Join(err, s.notInstalled())
	}
	var err error
	switch verb {
	case "stop":
		err = s.stop()
	case "restart":
		if err = s.stop(); err == nil {
			err = s.start(e)
		}
	default:
		err = s.start(e)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, queryService(s))
	return nil
}

// startTimeout bounds the wait for a started daemon to answer.
const startTimeout = 30 * time.Second

// start starts the service and waits until its daemon answers on the
// control endpoint, or the service manager says it stopped: a service
// manager reports a service running as soon as its process is, before the
// daemon has taken the control endpoint or given up on it.
func (s serviceSpec) start(e *env) error {
	client := daemon.NewClient(s.env(e).paths().Socket)
	ask := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := client.Status(ctx)
		return err
	}
	if queryService(s).Running {
		return nil // as systemctl start: nothing to do
	}
	if ask() == nil {
		return errors.New("another onair daemon already answers on its control endpoint (onair run in a terminal?): stop it first, so that the service can take the endpoint")
	}
	if err := startService(s); err != nil {
		return err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(startTimeout)
	for {
		st := queryService(s)
		switch {
		case st.Running && ask() == nil:
			return nil
		case !st.Running && !st.Starting:
			return fmt.Errorf("it did not start: %s", st.failure())
		case time.Now().After(deadline):
			return fmt.Errorf("the daemon did not answer within %s (%s); see %s", startTimeout, st, s.logHint())
		}
		<-tick.C
	}
}

// failure says why a service that should run does not, with its last
// log lines where the OS keeps them.
func (st serviceState) failure() string {
	msg := st.Detail
	if msg == "" {
		msg = "the service stopped (see " + st.Spec.logHint() + ")"
	}
	if why := lastLogLines(st.Spec); why != "" {
		msg += "; its last log lines:\n" + why
	}
	return msg
}

// serviceState is what `onair service status` and `onair status` print.
type serviceState struct {
	Spec      serviceSpec
	Installed bool
	Running   bool
	Starting  bool   // on its way to running
	Detail    string // why the state is unknown, or that it failed
	Other     string // Linux: the other kind of unit is installed (" --system" or "")
}

func (st serviceState) String() string {
	s := st.Spec
	switch {
	case st.Detail != "" && !st.Installed:
		return "service: " + st.Detail
	case !st.Installed && st.Running:
		return fmt.Sprintf("service: running from a unit onair did not install (%s)", s.logHint())
	case !st.Installed && st.Other != "":
		other := s
		other.System = !s.System
		return fmt.Sprintf("service: no %s, but a %s is installed: onair service status%s", s.serviceKind(), other.serviceKind(), st.Other)
	case !st.Installed:
		return fmt.Sprintf("service: not installed (onair service install%s)", s.systemFlag())
	case st.Running:
		return fmt.Sprintf("service: installed (%s %s), running", s.serviceKind(), s.where())
	case st.Detail != "":
		return fmt.Sprintf("service: installed (%s %s), %s", s.serviceKind(), s.where(), st.Detail)
	}
	return fmt.Sprintf("service: installed (%s %s), not running (onair service start%s)", s.serviceKind(), s.where(), s.systemFlag())
}

// serviceStatusLine is the one line `onair status` prints about the
// service, for the service matching --system.
func serviceStatusLine(e *env) string {
	if !slices.Contains(serviceOSes, runtime.GOOS) {
		return "service: not supported on " + runtime.GOOS
	}
	s, err := newServiceSpec(e, runtime.GOOS, "")
	if err != nil {
		return "service: " + err.Error()
	}
	return queryService(s).String()
}

// checkExecutable refuses to install a service whose binary is not there.
func checkExecutable(s serviceSpec) error {
	fi, err := os.Stat(s.Executable)
	if err != nil {
		return fmt.Errorf("the onair binary %s: %w", s.Executable, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("the onair binary %s is a directory", s.Executable)
	}
	if strings.Contains(s.Executable, string(filepath.Separator)+"go-build") {
		return fmt.Errorf("%s is a temporary 'go run' binary; build or install onair first (make build, go install)", s.Executable)
	}
	return nil
}
