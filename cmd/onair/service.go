package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/kardianos/service"

	"github.com/onair-dev/onair/configs"
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

// serviceSpec is everything a service definition is rendered from, for any
// OS on any OS: the systemd unit, the launchd plist and the Windows service
// configuration all come from one spec, so --dry-run prints what install
// writes.
type serviceSpec struct {
	OS         string   // target OS: linux, darwin or windows
	System     bool     // system-wide service (always on Windows)
	Executable string   // absolute path of the onair binary the service runs
	Args       []string // arguments after Executable, e.g. --system run --quiet
	Home       string   // installing user's home (user units, LaunchAgents)
	Path       string   // where the definition file goes; "" on Windows
	LogFile    string   // macOS: the agent's stdout and stderr
	DataDir    string   // Windows: %ProgramData%\onair (config, tokens)
	Account    string   // the account the service runs as
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
	var dryRun bool
	goos, executable := runtime.GOOS, ""
	if verb == "install" || verb == "uninstall" {
		fs.Usage = func() {
			fmt.Fprintf(e.stderr, "Usage: onair service %s [--system] [--dry-run [--os linux|darwin|windows] [--executable PATH]]\n", verb)
			fs.PrintDefaults()
		}
		fs.BoolVar(&dryRun, "dry-run", false, "print the unit, plist or Windows configuration and the commands; change nothing")
		fs.StringVar(&goos, "os", runtime.GOOS, "with --dry-run: render for this OS (linux, darwin, windows)")
		fs.StringVar(&executable, "executable", "", "path of the onair binary the service runs (default: this binary; for packagers)")
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "onair service %s: unexpected argument %q\n", verb, fs.Arg(0))
		return exitUsage
	}
	if !contains(serviceOSes, goos) {
		fmt.Fprintf(e.stderr, "onair service %s: --os %q: want linux, darwin or windows\n", verb, goos)
		return exitUsage
	}
	if goos != runtime.GOOS && !dryRun {
		fmt.Fprintf(e.stderr, "onair service %s: --os %s needs --dry-run (this machine runs %s)\n", verb, goos, runtime.GOOS)
		return exitUsage
	}
	if !contains(serviceOSes, runtime.GOOS) && !dryRun {
		return fail(e, fmt.Errorf("service %s: not supported on %s; onair installs itself on Linux (systemd), macOS (launchd) and Windows; --dry-run --os shows what it would write", verb, runtime.GOOS))
	}
	spec, err := newServiceSpec(e, goos, executable)
	if err != nil {
		return fail(e, fmt.Errorf("service %s: %w", verb, err))
	}
	var cfgPath string
	var cfgErr error
	if verb == "install" {
		cfgPath, cfgErr = checkServiceConfig(e, spec)
	}
	if dryRun {
		code := serviceDryRun(e, verb, spec)
		if cfgErr != nil {
			// The definition is still shown (packagers render it on build
			// machines), but install would refuse.
			fmt.Fprintf(e.stderr, "onair service install --dry-run: warning: install would refuse the service's config %s:\n", cfgPath)
			reportConfigError(e, cfgPath, cfgErr)
		}
		return code
	}
	if cfgErr != nil {
		reportConfigError(e, cfgPath, cfgErr)
		return fail(e, fmt.Errorf("service install: the service's config %s is not usable; fix it first ('onair config check %s'); nothing was installed", cfgPath, cfgPath))
	}
	switch verb {
	case "install":
		err = serviceInstall(e, spec)
	case "uninstall":
		err = serviceUninstall(e, spec)
	case "status":
		st := queryService(spec)
		fmt.Fprintf(e.stdout, "%s\n", st)
		if !st.Running {
			return exitFailure
		}
		return exitOK
	default:
		err = serviceControl(e, spec, verb)
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
  start      start the installed service
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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// newServiceSpec builds the spec for goos from the global flags: --config
// and --log-level are passed on to the service, --system selects the system
// service.
func newServiceSpec(e *env, goos, executable string) (serviceSpec, error) {
	native := goos == runtime.GOOS
	s := serviceSpec{OS: goos, System: e.system || goos == "windows"}
	if goos == "darwin" && e.system {
		return s, errors.New("--system is not supported on macOS: onair runs as a LaunchAgent in your login session, which owns the USB lights; install without --system")
	}
	if executable == "" {
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
	if strings.Contains(executable, "{{") {
		return s, fmt.Errorf("--executable %q: a path with {{ cannot be installed", executable)
	}

	if e.configPath != "" {
		cfg := e.configPath
		if native {
			abs, err := filepath.Abs(cfg)
			if err != nil {
				return s, fmt.Errorf("--config %q: %w", cfg, err)
			}
			cfg = abs
		}
		s.Args = append(s.Args, "--config", cfg)
	}
	if e.logLevel != "" {
		s.Args = append(s.Args, "--log-level", e.logLevel)
	}
	if s.System {
		s.Args = append(s.Args, "--system")
	}
	s.Args = append(s.Args, "run", "--quiet")

	switch goos {
	case "linux":
		if s.System {
			s.Path = "/etc/systemd/system/" + serviceName + ".service"
			s.Account = serviceAccount
			break
		}
		home, err := serviceHome(native)
		if err != nil {
			return s, err
		}
		// kardianos writes user units here (not under $XDG_CONFIG_HOME).
		s.Home, s.Path = home, home+"/.config/systemd/user/"+serviceName+".service"
		s.Account = currentUser()
	case "darwin":
		home, err := serviceHome(native)
		if err != nil {
			return s, err
		}
		s.Home = home
		s.Path = home + "/Library/LaunchAgents/" + serviceName + ".plist"
		s.LogFile = home + "/Library/Logs/" + serviceName + ".log"
		s.Account = currentUser()
	case "windows":
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		s.DataDir = strings.TrimRight(pd, `\`) + `\` + serviceName
		s.Account = "LocalSystem"
	}
	return s, nil
}

// checkServiceConfig loads and validates the config the service will run
// with, as 'onair config check' does, so that install does not set up a
// service that fails at every start. path is that config file, as given. A missing
// file at the default location is fine (the daemon runs with the defaults);
// a missing --config file is not. A definition rendered for another OS is
// not checked: its config is on the other machine.
func checkServiceConfig(e *env, s serviceSpec) (path string, err error) {
	if s.OS != runtime.GOOS {
		return "", nil
	}
	se := *e
	se.system = s.System // the Windows service is a system service without --system
	path = se.paths().Config
	_, err = se.loadConfig()
	return path, err
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

// serviceHome is the installing user's home as kardianos finds it: $HOME
// on Linux, the user database on macOS.
func serviceHome(native bool) (string, error) {
	if native && runtime.GOOS == "darwin" {
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

// render returns the service definition install writes: the unit file, the
// plist, or (on Windows, where the definition lives in the SCM) the
// configuration in words.
func (s serviceSpec) render() (string, error) {
	var out string
	switch s.OS {
	case "linux":
		tmpl := configs.SystemdUser
		if s.System {
			tmpl = configs.SystemdSystem
		}
		out = strings.NewReplacer(
			"@EXEC_START@", systemdCommandLine(append([]string{s.Executable}, s.Args...)),
			"@USER@", serviceAccount,
		).Replace(tmpl)
	case "darwin":
		var args strings.Builder
		for _, a := range append([]string{s.Executable}, s.Args...) {
			fmt.Fprintf(&args, "\t\t<string>%s</string>\n", xmlEscape(a))
		}
		out = strings.NewReplacer(
			"@LABEL@", xmlEscape(serviceName),
			"@PROGRAM_ARGUMENTS@", args.String(),
			"@LOG_FILE@", xmlEscape(s.LogFile),
		).Replace(configs.LaunchdAgent)
	case "windows":
		out = s.renderWindows()
	default:
		return "", fmt.Errorf("no service definition for %s", s.OS)
	}
	if m := placeholderRE.FindString(out); m != "" {
		return "", fmt.Errorf("service template: placeholder %s not filled in", m)
	}
	// kardianos runs the definition through its template engine; without
	// "{{" the text passes unchanged.
	if strings.Contains(out, "{{") {
		return "", errors.New(`service definition contains "{{", which kardianos/service would treat as a template`)
	}
	return out, nil
}

// renderWindows prints the Windows service configuration: what kardianos
// passes to CreateService, from the same service.Config that install uses.
func (s serviceSpec) renderWindows() string {
	c := s.config("")
	var b strings.Builder
	fmt.Fprintf(&b, "Service name:    %s\n", c.Name)
	fmt.Fprintf(&b, "Display name:    %s\n", c.DisplayName)
	fmt.Fprintf(&b, "Description:     %s\n", c.Description)
	fmt.Fprintf(&b, "Command line:    %s\n", windowsCommandLine(append([]string{c.Executable}, c.Arguments...)))
	start := c.Option["StartType"].(string)
	if c.Option["DelayedAutoStart"].(bool) {
		start += " (delayed start)"
	}
	fmt.Fprintf(&b, "Start type:      %s\n", start)
	fmt.Fprintf(&b, "Account:         %s\n", s.Account)
	fmt.Fprintf(&b, "Recovery:        %s after %s on any failure (failure count reset after %ds)\n",
		c.Option["OnFailure"], c.Option["OnFailureDelayDuration"], c.Option["OnFailureResetPeriod"])
	fmt.Fprintf(&b, "Event log:       Application log, source %q\n", c.Name)
	fmt.Fprintf(&b, "Data directory:  %s (SYSTEM and Administrators only)\n", s.DataDir)
	fmt.Fprintf(&b, "Config:          %s\n", s.DataDir+`\config.yaml`)
	fmt.Fprintf(&b, "Token cache:     %s\n", s.DataDir+`\token-cache.json`)
	return b.String()
}

// config is the kardianos configuration for s; rendered is the unit or plist
// text kardianos writes (it has no "{{", so kardianos's template engine
// passes it through unchanged).
func (s serviceSpec) config(rendered string) *service.Config {
	c := &service.Config{
		Name:        serviceName,
		DisplayName: serviceName,
		Description: serviceDescription,
		Executable:  s.Executable,
		Arguments:   s.Args,
		Option:      service.KeyValue{},
	}
	// Option values must have exactly these Go types: kardianos silently
	// uses its default for a value of another type.
	switch s.OS {
	case "linux":
		c.Option["UserService"] = !s.System
		c.Option["SystemdScript"] = rendered
	case "darwin":
		c.Option["UserService"] = true
		c.Option["RunAtLoad"] = true
		c.Option["KeepAlive"] = true
		c.Option["LaunchdConfig"] = rendered
	case "windows":
		c.Option["StartType"] = "automatic"
		c.Option["DelayedAutoStart"] = true
		c.Option["OnFailure"] = "restart"
		c.Option["OnFailureDelayDuration"] = "5s"
		c.Option["OnFailureResetPeriod"] = 86400
	}
	return c
}

// installSteps lists, in order, what install does on s.OS. The per-OS code
// runs exactly these steps; --dry-run prints them.
func (s serviceSpec) installSteps() []string {
	var steps []string
	switch s.OS {
	case "linux":
		ctl := "systemctl"
		if s.System {
			steps = append(steps,
				strings.Join(groupaddArgs(), " ")+"    # only if the group does not exist",
				strings.Join(useraddArgs(), " ")+"    # only if the user does not exist",
			)
		} else {
			ctl = "systemctl --user"
		}
		steps = append(steps,
			"write "+s.Path,
			ctl+" enable "+serviceName+".service",
			ctl+" daemon-reload",
			ctl+" start "+serviceName+".service",
		)
	case "darwin":
		steps = append(steps,
			"write "+s.Path,
			"launchctl load "+s.Path+"    # RunAtLoad starts it now and at every login",
		)
	case "windows":
		steps = append(steps,
			"mkdir "+s.DataDir,
			windowsCommandLine(icaclsArgs(s.DataDir)),
			fmt.Sprintf(`create service %s through the SCM, as: sc.exe create %s binPath= "%s" start= delayed-auto obj= LocalSystem DisplayName= %s`,
				serviceName, serviceName, strings.ReplaceAll(windowsCommandLine(append([]string{s.Executable}, s.Args...)), `"`, `\"`), serviceName),
			fmt.Sprintf("sc.exe failure %s reset= 86400 actions= restart/5000", serviceName),
			fmt.Sprintf("register Event Log source %s", serviceName),
			fmt.Sprintf("sc.exe failureflag %s 1", serviceName),
			fmt.Sprintf("sc.exe start %s", serviceName),
		)
	}
	return steps
}

// uninstallSteps lists what uninstall does on s.OS.
func (s serviceSpec) uninstallSteps() []string {
	switch s.OS {
	case "linux":
		ctl := "systemctl"
		if !s.System {
			ctl = "systemctl --user"
		}
		return []string{
			ctl + " stop " + serviceName + ".service",
			ctl + " disable " + serviceName + ".service",
			"remove " + s.Path,
			ctl + " daemon-reload",
		}
	case "darwin":
		return []string{
			"launchctl unload " + s.Path,
			"remove " + s.Path,
		}
	case "windows":
		return []string{
			"sc.exe stop " + serviceName,
			"sc.exe delete " + serviceName,
			"remove Event Log source " + serviceName,
		}
	}
	return nil
}

// afterInstallHints says what to do next, per OS.
func (s serviceSpec) afterInstallHints() []string {
	switch {
	case s.OS == "linux" && s.System:
		return []string{
			"Config: /etc/onair/config.yaml (readable by user " + serviceAccount + "; e.g. root:" + serviceAccount + " mode 0640).",
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
	default:
		return []string{
			"The service runs as LocalSystem and reads " + s.DataDir + `\config.yaml.`,
			"Sign in for the service from an elevated prompt: onair --system login",
			"Logs: Event Viewer > Windows Logs > Application, source " + serviceName + ".",
		}
	}
}

func serviceDryRun(e *env, verb string, s serviceSpec) int {
	steps := s.uninstallSteps()
	if verb == "install" {
		def, err := s.render()
		if err != nil {
			return fail(e, fmt.Errorf("service install: %w", err))
		}
		// stdout carries only the definition, so it can be redirected to a
		// file (the Debian package's user unit is made this way).
		fmt.Fprint(e.stdout, def)
		steps = s.installSteps()
	}
	fmt.Fprintf(e.stderr, "onair service %s --dry-run: would %s the %s (%s):\n", verb, verb, s.serviceKind(), s.where())
	for _, st := range steps {
		fmt.Fprintf(e.stderr, "  %s\n", st)
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

// newKardianos returns the kardianos service for s, checking that the OS's
// service manager is the one onair supports (systemd on Linux).
func newKardianos(s serviceSpec, rendered string, i service.Interface) (service.Service, error) {
	if i == nil {
		i = &program{}
	}
	svc, err := service.New(i, s.config(rendered))
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	if s.OS == "linux" && svc.Platform() != "linux-systemd" {
		return nil, fmt.Errorf("systemd is not running on this machine (kardianos/service found %s); onair installs systemd units only: 'onair service install --dry-run' prints the unit, or run 'onair run' from your init system", svc.Platform())
	}
	return svc, nil
}

// serviceInstall installs and starts the service. Any failure undoes what
// was done, so the machine is never left half-installed.
func serviceInstall(e *env, s serviceSpec) (err error) {
	def, err := s.render()
	if err != nil {
		return err
	}
	// A definition file on disk answers "installed?" before anything else
	// is asked, so the message is the same on every machine.
	if s.Path != "" {
		if ok, err := isInstalled(nil, s); err != nil || ok {
			return alreadyInstalled(s, err)
		}
	}
	if err := checkInstallRights(s); err != nil {
		return err
	}
	if err := checkExecutable(s); err != nil {
		return err
	}
	svc, err := newKardianos(s, def, nil)
	if err != nil {
		return err
	}
	if ok, err := isInstalled(svc, s); err != nil || ok {
		return alreadyInstalled(s, err)
	}
	if err := preflight(s); err != nil {
		return err
	}

	var undo []func()
	rollback := func(what string, cause error) error {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return fmt.Errorf("%s: %w (rolled back: nothing is installed)", what, cause)
	}
	prep, err := prepareInstall(e, s)
	if prep != nil {
		undo = append(undo, prep)
	}
	if err != nil {
		return rollback("prepare", err)
	}
	if err := svc.Install(); err != nil {
		undo = append(undo, func() { removeInstalled(svc, s) })
		return rollback("install", explainInstallError(s, err))
	}
	undo = append(undo, func() { removeInstalled(svc, s) })
	if err := afterInstall(svc, s); err != nil {
		return rollback("configure", err)
	}
	if err := svc.Start(); err != nil {
		return rollback("start", explainInstallError(s, err))
	}
	fmt.Fprintf(e.stdout, "Installed and started onair as a %s (%s).\n", s.serviceKind(), s.where())
	for _, h := range s.afterInstallHints() {
		fmt.Fprintln(e.stderr, h)
	}
	return nil
}

// isInstalled reports whether the service is installed: its file exists
// (Linux, macOS; svc may be nil) or the SCM knows it (Windows).
func isInstalled(svc service.Service, s serviceSpec) (bool, error) {
	if s.Path != "" {
		_, err := os.Stat(s.Path)
		if errors.Is(err, os.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	_, err := svc.Status()
	if errors.Is(err, service.ErrNotInstalled) {
		return false, nil
	}
	if err != nil && strings.Contains(err.Error(), "Access is denied") {
		return false, fmt.Errorf("query the service manager: %w: %s", err, rightsHint(s))
	}
	return true, nil
}

func alreadyInstalled(s serviceSpec, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("onair is %w as a %s (%s); run 'onair service uninstall%s' first", errAlreadyInstalled, s.serviceKind(), s.where(), systemFlag(s))
}

func notInstalled(s serviceSpec, err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("onair is %w as a %s (no %s); run 'onair service install%s' first", errNotInstalled, s.serviceKind(), s.where(), systemFlag(s))
}

// removeInstalled undoes svc.Install as far as it got: it stops and removes
// the service and deletes a definition file left behind.
func removeInstalled(svc service.Service, s serviceSpec) {
	_ = svc.Stop()
	_ = svc.Uninstall()
	if s.Path != "" {
		_ = os.Remove(s.Path)
	}
}

func serviceUninstall(e *env, s serviceSpec) error {
	if s.Path != "" {
		if ok, err := isInstalled(nil, s); err != nil || !ok {
			return notInstalled(s, err)
		}
	}
	if err := checkInstallRights(s); err != nil {
		return err
	}
	svc, err := newKardianos(s, "", nil)
	if err != nil {
		return err
	}
	if ok, err := isInstalled(svc, s); err != nil || !ok {
		return notInstalled(s, err)
	}
	// systemd's disable and the SCM's delete leave a running service
	// running: stop it first. Stopping a stopped service is not an error
	// worth reporting.
	if st, err := svc.Status(); err == nil && st == service.StatusRunning {
		if err := svc.Stop(); err != nil {
			return fmt.Errorf("stop: %w", err)
		}
	}
	if err := svc.Uninstall(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Uninstalled onair (%s %s).\n", s.serviceKind(), s.where())
	if s.OS == "linux" && s.System {
		fmt.Fprintf(e.stderr, "Kept /etc/onair, /var/lib/onair and user %s. To remove them too: sudo userdel %s && sudo rm -r /etc/onair /var/lib/onair\n", serviceAccount, serviceAccount)
	}
	return nil
}

func serviceControl(e *env, s serviceSpec, verb string) error {
	if s.Path != "" {
		if ok, err := isInstalled(nil, s); err != nil || !ok {
			return notInstalled(s, err)
		}
	}
	svc, err := newKardianos(s, "", nil)
	if err != nil {
		return err
	}
	if ok, err := isInstalled(svc, s); err != nil || !ok {
		return notInstalled(s, err)
	}
	if err := service.Control(svc, verb); err != nil {
		return explainInstallError(s, err)
	}
	st := queryService(s)
	fmt.Fprintf(e.stdout, "%s\n", st)
	return nil
}

func userFlag(s serviceSpec) string {
	if s.OS == "linux" && !s.System {
		return " --user"
	}
	return ""
}

func systemFlag(s serviceSpec) string {
	if s.System && s.OS == "linux" {
		return " --system"
	}
	return ""
}

// serviceState is what `onair service status` and `onair status` print.
type serviceState struct {
	Spec      serviceSpec
	Installed bool
	Running   bool
	Detail    string // why the state is unknown, or that it failed
}

func (st serviceState) String() string {
	switch {
	case st.Detail != "" && !st.Installed:
		return "service: " + st.Detail
	case !st.Installed && st.Running:
		return fmt.Sprintf("service: running from a unit onair did not install (%s)", logHint(st.Spec))
	case !st.Installed:
		return fmt.Sprintf("service: not installed (onair service install%s)", systemFlag(st.Spec))
	case st.Running:
		return fmt.Sprintf("service: installed (%s %s), running", st.Spec.serviceKind(), st.Spec.where())
	case st.Detail != "":
		return fmt.Sprintf("service: installed (%s %s), %s", st.Spec.serviceKind(), st.Spec.where(), st.Detail)
	}
	return fmt.Sprintf("service: installed (%s %s), not running (onair service start%s)", st.Spec.serviceKind(), st.Spec.where(), systemFlag(st.Spec))
}

// queryService asks the service manager about s. It never fails: what it
// cannot find out goes into Detail.
func queryService(s serviceSpec) serviceState {
	st := serviceState{Spec: s}
	if s.Path != "" {
		st.Installed, _ = isInstalled(nil, s)
	}
	svc, err := newKardianos(s, "", nil)
	if err != nil {
		// Without the service manager, the file on disk is all we know.
		if st.Installed {
			st.Detail = err.Error()
		}
		return st
	}
	if s.Path == "" {
		st.Installed, err = isInstalled(svc, s)
		if err != nil {
			st.Detail = err.Error()
			return st
		}
	}
	status, err := svc.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		// A unit on disk that systemd has not loaded yet.
	case err != nil:
		st.Detail = err.Error()
		if strings.Contains(err.Error(), "failed") {
			st.Detail = "failed (it crashed or could not start: " + logHint(s) + ")"
		}
	case status == service.StatusRunning:
		st.Running = true
	}
	return st
}

// serviceStatusLine is the one line `onair status` prints about the
// service, for the service matching --system.
func serviceStatusLine(e *env) string {
	if !contains(serviceOSes, runtime.GOOS) {
		return "service: not supported on " + runtime.GOOS
	}
	s, err := newServiceSpec(e, runtime.GOOS, "")
	if err != nil {
		return "service: " + err.Error()
	}
	return queryService(s).String()
}

func logHint(s serviceSpec) string {
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

// explainInstallError adds the remedy to errors whose cause is known.
func explainInstallError(s serviceSpec, err error) error {
	msg := err.Error()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && s.OS == "linux":
		return fmt.Errorf("systemctl failed (%w); kardianos/service does not pass on its message: see 'systemctl%s status %s', or run the steps of 'onair service install%s --dry-run' by hand", err, userFlag(s), serviceName, systemFlag(s))
	case strings.Contains(msg, "Failed to connect to bus"), strings.Contains(msg, "Failed to connect to user scope bus"):
		return fmt.Errorf("%w: no systemd user session here (under sudo or su?); run it as your own user in a login session, or install the system service with --system", err)
	case strings.Contains(msg, "Access is denied"), strings.Contains(msg, "permission denied"), strings.Contains(msg, "Permission denied"):
		return fmt.Errorf("%w: %s", err, rightsHint(s))
	}
	return err
}

func rightsHint(s serviceSpec) string {
	switch s.OS {
	case "windows":
		return "run it from an elevated prompt (Run as administrator)"
	case "linux":
		if s.System {
			return "run it as root: sudo onair service install --system"
		}
	}
	return "check the permissions of " + filepath.Dir(s.Path)
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

// systemdCommandLine quotes a command line for ExecStart=: each word that
// needs it in double quotes, "%" doubled (specifiers) and "$" doubled
// (variable expansion). See systemd.service(5), "Command lines".
func systemdCommandLine(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		w = strings.NewReplacer("%", "%%", "$", "$$").Replace(w)
		if w != "" && !strings.ContainsAny(w, " \t\n\"'\\;") {
			b.WriteString(w)
			continue
		}
		b.WriteByte('"')
		for _, r := range w {
			switch r {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	}
	return b.String()
}

// windowsCommandLine joins words the way CommandLineToArgvW splits them
// (syscall.EscapeArg's rules).
func windowsCommandLine(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(windowsEscapeArg(w))
	}
	return b.String()
}

func windowsEscapeArg(s string) string {
	if s == "" {
		return `""`
	}
	if !strings.ContainsAny(s, " \t\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
		case '"':
			// Backslashes before a quote are doubled, then the quote escaped.
			b.WriteString(strings.Repeat(`\`, slashes+1))
			slashes = 0
		default:
			slashes = 0
		}
		b.WriteByte(c)
	}
	// Backslashes before the closing quote are doubled.
	b.WriteString(strings.Repeat(`\`, slashes))
	b.WriteByte('"')
	return b.String()
}

var placeholderRE = regexp.MustCompile(`@[A-Z_]+@`)

var xmlReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func xmlEscape(s string) string { return xmlReplacer.Replace(s) }

// groupaddArgs creates the group that USB lights belong to on a headless
// machine (Debian and Raspberry Pi OS have it already).
func groupaddArgs() []string {
	return []string{"groupadd", "--system", serviceGroup}
}

// useraddArgs creates the system service's account: no login, no home
// directory of its own (systemd creates /var/lib/onair as StateDirectory).
func useraddArgs() []string {
	return []string{"useradd", "--system", "--user-group", "--groups", serviceGroup,
		"--home-dir", "/var/lib/onair", "--no-create-home", "--shell", "/usr/sbin/nologin", serviceAccount}
}

// icaclsArgs closes the Windows data directory to everyone but SYSTEM and
// Administrators: ProgramData is readable by all users by default, and the
// token cache must not be.
func icaclsArgs(dir string) []string {
	return []string{"icacls", dir, "/inheritance:r",
		"/grant:r", "*S-1-5-18:(OI)(CI)F", // SYSTEM
		"/grant:r", "*S-1-5-32-544:(OI)(CI)F", // Administrators
	}
}
