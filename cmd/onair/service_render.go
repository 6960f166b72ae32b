package main

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/onair-dev/onair/configs"
)

// render returns the service definition install writes: the unit file, the
// plist, or (on Windows, where the definition lives in the SCM) the
// configuration in words. It is pure, for any OS on any OS.
func (s serviceSpec) render() (string, error) {
	var out string
	argv := append([]string{s.Executable}, s.Args...)
	switch s.OS {
	case "linux":
		tmpl := configs.SystemdUser
		if s.System {
			tmpl = configs.SystemdSystem
		}
		out = strings.NewReplacer("@EXEC_START@", systemdCommandLine(argv), "@USER@", serviceAccount).Replace(tmpl)
	case "darwin":
		var args strings.Builder
		for _, a := range argv {
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
	return out, nil
}

// The Windows service's configuration: what install passes to
// CreateService and SetRecoveryActions (service_windows.go).
const (
	windowsRestartDelay = 5 * time.Second
	windowsResetPeriod  = 86400 // seconds without failure before the count restarts
)

// renderWindows prints the Windows service configuration.
func (s serviceSpec) renderWindows() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Service name:    %s\n", serviceName)
	fmt.Fprintf(&b, "Display name:    %s\n", serviceName)
	fmt.Fprintf(&b, "Description:     %s\n", serviceDescription)
	fmt.Fprintf(&b, "Command line:    %s\n", windowsCommandLine(append([]string{s.Executable}, s.Args...)))
	fmt.Fprintf(&b, "Start type:      automatic (delayed start)\n")
	fmt.Fprintf(&b, "Account:         %s\n", s.Account)
	fmt.Fprintf(&b, "Recovery:        restart after %s on any failure (failure count reset after %ds)\n", windowsRestartDelay, windowsResetPeriod)
	fmt.Fprintf(&b, "Event log:       Application log, source %q\n", serviceName)
	fmt.Fprintf(&b, "Data directory:  %s (SYSTEM and Administrators only)\n", s.DataDir)
	fmt.Fprintf(&b, "Config:          %s\n", s.Config)
	fmt.Fprintf(&b, "Token cache:     %s\n", s.DataDir+`\token-cache.json`)
	return b.String()
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
		b.WriteString(`"` + strings.NewReplacer(`"`, `\"`, `\`, `\\`, "\n", `\n`, "\t", `\t`).Replace(w) + `"`)
	}
	return b.String()
}

// windowsCommandLine joins words the way CommandLineToArgvW splits them
// (syscall.EscapeArg's rules).
func windowsCommandLine(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = windowsEscapeArg(w)
	}
	return strings.Join(quoted, " ")
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
