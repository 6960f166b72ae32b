package configs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The notices onair ships: THIRD_PARTY_NOTICES.md (in every archive, the
// Homebrew formula and the .deb) and the .deb's machine-readable
// debian/copyright (.ci/deb/copyright). Both are generated from the module
// list of the onair binary, the table below and the license files in the
// module cache; TestNotices fails when either is out of date, when a module
// compiled into onair has no entry below, and when an entry names a module
// onair no longer uses. Regenerate with:
//
//	UPDATE_GOLDEN=1 go test ./configs -run TestNotices
const (
	noticesFile   = "../THIRD_PARTY_NOTICES.md"
	copyrightFile = "../.ci/deb/copyright"
)

// shippedPlatforms are the builds onair releases (.ci/cross.sh and the
// Makefile's release-macos): the module list is their union.
var shippedPlatforms = []struct{ goos, goarch, cgo string }{
	{"linux", "amd64", "1"},
	{"linux", "arm64", "1"},
	{"linux", "arm", "1"},
	{"windows", "amd64", "1"},
	{"darwin", "arm64", "1"},
	{"darwin", "amd64", "0"},
}

// licenseText is one license file of a module, as the module ships it.
type licenseText struct {
	File string // path inside the module directory
	Name string // DEP-5 short name of the license the file holds
}

// debFiles is one Files paragraph of debian/copyright for part of a module.
type debFiles struct {
	Pattern   string // below vendor/<module>/, e.g. "*" or "libusb/*"
	Copyright string // one holder per line
	License   string // DEP-5 license expression
	// Text is the license body: a file of the module, or "" for a license
	// whose text is in a standalone paragraph or /usr/share/common-licenses.
	Text    string
	Comment string
}

// notice is what onair says about one module compiled into its binary.
type notice struct {
	Module  string
	License string // SPDX expression for the summary table
	// Texts are the module's license files, copied in full.
	Texts []licenseText
	// Note is extra Markdown for THIRD_PARTY_NOTICES.md; %[1]s is the
	// module's version.
	Note string
	Deb  []debFiles
}

const goLicenseFile = "LICENSE" // in GOROOT

// notices lists every module compiled into onair. Copyright lines are the
// ones in each module's license file (and, for libusb, its source headers).
var notices = []notice{
	{
		Module:  "github.com/AzureAD/microsoft-authentication-library-for-go",
		License: "MIT",
		Texts:   []licenseText{{"LICENSE", "Expat"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "Microsoft Corporation", License: "Expat", Text: "LICENSE"}},
	},
	{
		Module:  "github.com/eclipse/paho.mqtt.golang",
		License: "EPL-2.0 OR BSD-3-Clause (EDL-1.0)",
		Texts:   []licenseText{{"LICENSE", "EPL-2.0"}, {"edl-v10", "EDL-1.0"}, {"NOTICE.md", ""}},
		Note: "Eclipse Paho is offered under the Eclipse Public License 2.0 or the Eclipse\n" +
			"Distribution License 1.0 (a 3-clause BSD license). onair uses it under the\n" +
			"Eclipse Distribution License 1.0.\n",
		Deb: []debFiles{{Pattern: "*", Copyright: "2013-2022 IBM Corp and others (see NOTICE.md in the module)",
			License: "EDL-1.0 or EPL-2.0",
			Comment: "onair uses Eclipse Paho under the Eclipse Distribution License 1.0 (BSD-3-clause)."}},
	},
	{
		Module:  "github.com/golang-jwt/jwt/v5",
		License: "MIT",
		Texts:   []licenseText{{"LICENSE", "Expat"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2012 Dave Grijalva\n2021 golang-jwt maintainers", License: "Expat", Text: "LICENSE"}},
	},
	{
		Module:  "github.com/google/uuid",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009,2014 Google Inc.", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "github.com/gorilla/websocket",
		License: "BSD-2-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-2-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2013 The Gorilla WebSocket Authors", License: "BSD-2-clause", Text: "LICENSE"}},
	},
	{
		Module:  "github.com/karalabe/hid",
		License: "BSD-3-Clause; bundled hidapi BSD-3-Clause (chosen), libusb LGPL-2.1-or-later (Linux)",
		Texts: []licenseText{
			{"LICENSE.md", ""},
			{"hidapi/LICENSE.txt", ""},
			{"hidapi/LICENSE-bsd.txt", "BSD-3-clause"},
		},
		Note: "karalabe/hid bundles the C sources of hidapi (hidapi/) and libusb 1.0\n" +
			"(libusb/) and compiles them into onair:\n" +
			"\n" +
			"- hidapi lets its user choose one of three licenses (hidapi/LICENSE.txt, below).\n" +
			"  onair uses hidapi under the BSD-style license (hidapi/LICENSE-bsd.txt, below).\n" +
			"- libusb 1.0 is under the GNU Lesser General Public License 2.1 or later; it is\n" +
			"  compiled into the **Linux** binaries only (macOS and Windows builds use\n" +
			"  hidapi's IOKit and Windows HID backends, without libusb). Its copyright holders\n" +
			"  include Johannes Erdfelt, Daniel Drake, Nathan Hjelm, Pete Batard, Peter Stuge,\n" +
			"  Hans de Goede, Chris Dickens and the other authors named in the libusb source\n" +
			"  files. See \"libusb: source and relinking\" above and the full LGPL 2.1 text at\n" +
			"  the end of this file.\n" +
			"- go.hid (2-clause BSD, https://github.com/GeertJohan/go.hid/blob/master/LICENSE)\n" +
			"  and gowchar (3-clause BSD, https://github.com/orofarne/gowchar/blob/master/LICENSE)\n" +
			"  are credited by karalabe/hid's LICENSE.md (below).\n",
		Deb: []debFiles{
			{Pattern: "*", Copyright: "2017 Péter Szilágyi", License: "BSD-3-clause", Text: "LICENSE.md",
				Comment: "The text above is karalabe/hid's LICENSE.md; its Go code derives from go.hid\n" +
					"(2-clause BSD) and gowchar (3-clause BSD)."},
			{Pattern: "hidapi/*", Copyright: "2010 Alan Ott, Signal 11 Software", License: "BSD-3-clause", Text: "hidapi/LICENSE-bsd.txt",
				Comment: "HIDAPI may be used under the GPL-3, a BSD-style license or its original\n" +
					"license, at its user's choice; onair uses it under the BSD-style license."},
			{Pattern: "libusb/*", License: "LGPL-2.1+",
				Copyright: "2001 Johannes Erdfelt <johannes@erdfelt.com>\n" +
					"2007-2009 Daniel Drake <dsd@gentoo.org>\n" +
					"2008-2023 Nathan Hjelm <hjelmn@cs.unm.edu>\n" +
					"2009-2012 Pete Batard <pete@akeo.ie>\n" +
					"2010 Michael Plante <michael.plante@gmail.com>\n" +
					"2011-2013 Martin Pieuchot <mpi@openbsd.org>\n" +
					"2011-2013 Peter Stuge <peter@stuge.se>\n" +
					"2011 Vitali Lovich <vlovich@aliph.com>\n" +
					"2012-2013 Hans de Goede <hdegoede@redhat.com>\n" +
					"2014 Red Hat, Inc.\n" +
					"2014-2020 Chris Dickens <christopher.a.dickens@gmail.com>\n" +
					"2016, Oracle and/or its affiliates\n" +
					"2019 Google LLC\n" +
					"2023 Oxide Computer Company",
				Comment: "libusb 1.0 is compiled into /usr/bin/onair (statically). The exact source\n" +
					"is the Go module github.com/karalabe/hid at the version `go version -m\n" +
					"/usr/bin/onair` prints, from the Go module proxy; to relink with a modified\n" +
					"libusb, rebuild onair (MIT, https://github.com/onair-dev/onair) with a\n" +
					"`replace` directive pointing at your copy of that module. Step by step:\n" +
					"/usr/share/doc/onair/THIRD_PARTY_NOTICES.md.gz, \"libusb: source and\n" +
					"relinking\"."},
		},
	},
	{
		Module:  "github.com/kardianos/service",
		License: "Zlib",
		Texts:   []licenseText{{"LICENSE", "Zlib"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2015 Daniel Theophanes", License: "Zlib", Text: "LICENSE"}},
	},
	{
		Module:  "fyne.io/systray",
		License: "Apache-2.0",
		Texts:   []licenseText{{"LICENSE", "Apache-2.0"}},
		Deb: []debFiles{{Pattern: "*", Copyright: "2014 Brave New Software Project, Inc.\n2021 the Fyne.io developers", License: "Apache-2.0",
			Comment: "The status-area icon of onair tray (a fork of getlantern/systray)."}},
	},
	{
		Module:  "github.com/godbus/dbus/v5",
		License: "BSD-2-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-2-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2013 Georg Reinke, Google", License: "BSD-2-clause", Text: "LICENSE", Comment: "D-Bus for the tray on Linux."}},
	},
	{
		Module:  "golang.org/x/crypto",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE", Comment: "Used by go-pkcs12."}},
	},
	{
		Module:  "software.sslmate.com/src/go-pkcs12",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2015, 2018, 2019 Opsmate, Inc.\n2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE", Comment: "Reads PKCS#12 certificates for the app-only sign-in."}},
	},
	{
		Module:  "github.com/kylelemons/godebug",
		License: "Apache-2.0",
		Texts:   []licenseText{{"LICENSE", "Apache-2.0"}},
		Deb: []debFiles{{Pattern: "*", Copyright: "2013 Google Inc.", License: "Apache-2.0",
			Comment: "Used by the Microsoft Authentication Library."}},
	},
	{
		Module:  "github.com/pkg/browser",
		License: "BSD-2-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-2-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2014 Dave Cheney <dave@cheney.net>", License: "BSD-2-clause", Text: "LICENSE"}},
	},
	{
		Module:  "go.bug.st/serial",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2014-2026 Cristian Maglie", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "go.yaml.in/yaml/v3",
		License: "Apache-2.0 AND MIT",
		Texts:   []licenseText{{"LICENSE", ""}, {"NOTICE", ""}},
		Deb: []debFiles{
			{Pattern: "*", Copyright: "2011-2016 Canonical Ltd.", License: "Apache-2.0"},
			{Pattern: "apic.go emitterc.go parserc.go readerc.go scannerc.go writerc.go yamlh.go yamlprivateh.go",
				Copyright: "2006-2011 Kirill Simonov\n2011-2019 Canonical Ltd.", License: "Expat",
				Comment: "Ported from libyaml; the MIT text below is the module's LICENSE.",
				Text:    "yaml-mit"},
		},
	},
	{
		Module:  "golang.org/x/crypto",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "golang.org/x/net",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "golang.org/x/sync",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "golang.org/x/sys",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "golang.org/x/term",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb:     []debFiles{{Pattern: "*", Copyright: "2009 The Go Authors", License: "BSD-3-clause", Text: "LICENSE"}},
	},
	{
		Module:  "software.sslmate.com/src/go-pkcs12",
		License: "BSD-3-Clause",
		Texts:   []licenseText{{"LICENSE", "BSD-3-clause"}},
		Deb: []debFiles{{Pattern: "*", Copyright: "2015, 2018, 2019 Opsmate, Inc.\n2009 The Go Authors",
			License: "BSD-3-clause", Text: "LICENSE"}},
	},
}

// goTool finds the go command, or skips (fails under ONAIR_REQUIRE_TOOLS=1).
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	msg := "go command not in PATH: cannot list onair's modules"
	if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + "; ONAIR_REQUIRE_TOOLS=1 makes this a failure")
	}
	t.Skip(msg)
	return ""
}

type module struct{ Path, Version, Dir string }

// binaryModules returns the modules compiled into ./cmd/onair on any
// shipped platform, with their module cache directories.
func binaryModules(t *testing.T, gobin string) []module {
	t.Helper()
	versions := map[string]string{}
	for _, p := range shippedPlatforms {
		cmd := exec.Command(gobin, "list", "-deps", "-f", "{{with .Module}}{{.Path}} {{.Version}}{{end}}", "../cmd/onair")
		cmd.Env = append(os.Environ(), "GOOS="+p.goos, "GOARCH="+p.goarch, "CGO_ENABLED="+p.cgo)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps ./cmd/onair (%s/%s): %v\n%s", p.goos, p.goarch, err, stderrOf(err))
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			path, version, _ := strings.Cut(sc.Text(), " ")
			if path == "" || path == "github.com/onair-dev/onair" {
				continue
			}
			versions[path] = version
		}
	}
	args := []string{"mod", "download", "-json"}
	for p, v := range versions {
		args = append(args, p+"@"+v)
	}
	out, err := exec.Command(gobin, args...).Output()
	if err != nil {
		t.Fatalf("go mod download: %v\n%s", err, stderrOf(err))
	}
	var mods []module
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var m module
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("go mod download -json: %v", err)
		}
		mods = append(mods, m)
	}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	return mods
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func TestNotices(t *testing.T) {
	gobin := goTool(t)
	mods := binaryModules(t, gobin)

	// Every module in the binary has an entry, and every entry a module.
	byPath := map[string]notice{}
	for _, n := range notices {
		byPath[n.Module] = n
	}
	used := map[string]bool{}
	for _, m := range mods {
		used[m.Path] = true
		if _, ok := byPath[m.Path]; !ok {
			t.Errorf("module %s %s is compiled into onair but has no entry in notices (configs/notices_test.go): add its license, copyright and license files", m.Path, m.Version)
		}
	}
	for _, n := range notices {
		if !used[n.Module] {
			t.Errorf("notices (configs/notices_test.go) names %s, which onair no longer uses: remove the entry", n.Module)
		}
	}
	if t.Failed() {
		return
	}

	goroot, err := exec.Command(gobin, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	goLicense, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), goLicenseFile))
	if err != nil {
		t.Fatalf("the Go license: %v", err)
	}
	lgpl, err := os.ReadFile("testdata/LGPL-2.1.txt")
	if err != nil {
		t.Fatal(err)
	}
	read := func(m module, file string) string {
		b, err := os.ReadFile(filepath.Join(m.Dir, file))
		if err != nil {
			t.Fatalf("%s %s: license file: %v", m.Path, m.Version, err)
		}
		return strings.TrimRight(string(b), "\n\r\t ") + "\n"
	}
	texts := map[string]map[string]string{} // module → file → text
	var hidVersion string
	for _, m := range mods {
		texts[m.Path] = map[string]string{}
		for _, lt := range byPath[m.Path].Texts {
			texts[m.Path][lt.File] = read(m, lt.File)
		}
		if m.Path == "github.com/karalabe/hid" {
			hidVersion = m.Version
		}
	}
	if hidVersion == "" {
		t.Fatal("github.com/karalabe/hid is not in onair's modules: the libusb section needs rewriting")
	}

	md := renderNotices(mods, byPath, texts, string(goLicense), string(lgpl), hidVersion)
	deb := renderCopyright(mods, byPath, texts, string(goLicense))
	checkGolden(t, noticesFile, md)
	checkGolden(t, copyrightFile, deb)
}

func checkGolden(t *testing.T, file, want string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run UPDATE_GOLDEN=1 go test ./configs -run TestNotices)", err)
	}
	if string(got) != want {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(want, "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return l[i]
			}
			return "(end of file)"
		}
		t.Errorf("%s is out of date from line %d:\n  have: %s\n  want: %s\nrun UPDATE_GOLDEN=1 go test ./configs -run TestNotices", file, i+1, line(gl), line(wl))
	}
}

const noticesHeader = `# Third-party notices

onair is MIT-licensed (see LICENSE). Its binaries also contain the Go standard
library and the Go modules below, compiled in; the builds with USB support
contain C code too, bundled by github.com/karalabe/hid: hidapi on every OS, and
libusb on Linux. The linux/arm binary (the armhf .deb and the linux_arm
archive) is linked statically and so also contains the GNU C Library and
libgcc. ` + "`go version -m onair`" + ` lists the modules of a binary.

This file is generated from the modules ` + "`go list -deps ./cmd/onair`" + ` reports for
every platform onair ships on, and from their license files:
` + "`UPDATE_GOLDEN=1 go test ./configs -run TestNotices`" + ` rewrites it, and the same
test fails when it is out of date.
`

func renderNotices(mods []module, byPath map[string]notice, texts map[string]map[string]string, goLicense, lgpl, hidVersion string) string {
	var b strings.Builder
	b.WriteString(noticesHeader)
	b.WriteString("\n## Summary\n\n| Module | Version | License |\n|---|---|---|\n")
	b.WriteString("| Go standard library and runtime | the Go release in `go version onair` | BSD-3-Clause |\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", m.Path, m.Version, byPath[m.Path].License)
	}
	fmt.Fprintf(&b, `
## libusb: source and relinking

The Linux binaries of onair (the linux archives and the .deb packages) contain
libusb 1.0, compiled from the C source that github.com/karalabe/hid bundles,
and linked statically. libusb is under the GNU Lesser General Public License
2.1 or later (full text at the end of this file). You are entitled to its
source, and to relink onair with a modified libusb:

- **The exact source** is the Go module github.com/karalabe/hid at version
  %[1]s (the version onair's go.mod requires; `+"`go version -m onair`"+`
  prints the one in a given binary), on the Go module proxy:
  https://proxy.golang.org/github.com/karalabe/hid/@v/%[1]s.zip
  (or `+"`go mod download -json github.com/karalabe/hid@%[1]s`"+`, which
  prints the directory it unpacked). libusb is under libusb/ in it.
- **onair's own source** is MIT-licensed and public:
  https://github.com/onair-dev/onair, and each release ships it as
  onair-VERSION.tar.gz.
- **To relink** with a modified libusb, rebuild onair against your copy of the
  module (needs Go and a C compiler):

      git clone https://github.com/onair-dev/onair && cd onair  # or unpack onair-VERSION.tar.gz
      dir=$(go mod download -json github.com/karalabe/hid@%[1]s | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
      cp -r "$dir" ../hid && chmod -R u+w ../hid
      # change ../hid/libusb/libusb/*.c as you like, then:
      go mod edit -replace github.com/karalabe/hid=../hid
      CGO_ENABLED=1 go build -trimpath -o onair ./cmd/onair

The macOS and Windows binaries do not contain libusb: hidapi talks to IOKit and
to the Windows HID class driver there.
`, hidVersion)
	b.WriteString(glibcNotice)

	b.WriteString("\n## Go standard library and runtime\n\nLicense: BSD-3-Clause.\n\n")
	fence(&b, goLicense)
	for _, m := range mods {
		n := byPath[m.Path]
		fmt.Fprintf(&b, "\n## %s %s\n\nLicense: %s.\n", m.Path, m.Version, n.License)
		if n.Note != "" {
			b.WriteString("\n" + n.Note)
		}
		for _, lt := range n.Texts {
			fmt.Fprintf(&b, "\n%s:\n\n", lt.File)
			fence(&b, texts[m.Path][lt.File])
		}
	}
	b.WriteString("\n## GNU Lesser General Public License 2.1 (libusb, and the GNU C Library in linux/arm)\n\n")
	fence(&b, lgpl)
	return b.String()
}

// glibcNotice is the section on the C runtime that .ci/cross.sh links
// statically into the linux/arm binary (Debian's armel glibc and libgcc, for
// ARMv6). It is not a Go module, so it has no row in notices; like libusb it
// is LGPL, and this says where its source is and how to relink.
const glibcNotice = `
## GNU C Library and libgcc: linux/arm only

The linux/arm binary (the armhf .deb and the linux_arm archive, for 32-bit
Raspberry Pi OS on every Pi) is linked statically, so that it needs no dynamic
loader and runs on the ARMv6 Pi Zero and Pi 1 (.ci/cross.sh says why). It
therefore contains parts of:

- **the GNU C Library (glibc)**, under the GNU Lesser General Public License
  2.1 or later (full text at the end of this file; a few files carry other
  permissive licenses, listed in glibc's LICENSES file). Copyright the Free
  Software Foundation, Inc. and the glibc contributors.
  Upstream: https://sourceware.org/glibc/. The copy in onair is Debian's
  (the ` + "`libc6-dev-armel-cross`" + ` package, built from Debian's ` + "`glibc`" + ` source
  package); the exact Debian version is in the armhf .deb's Built-Using field
  (` + "`dpkg-query -W -f '${Built-Using}\\n' onair`" + `) and in the SOURCES file of the
  linux_arm archive. That source is at
  https://snapshot.debian.org/package/glibc/ (pick the version) or with
  ` + "`apt-get source glibc=VERSION`" + `.
- **libgcc and the GCC start files** (crtbeginT.o, crtend.o), under the GNU
  General Public License 3 or later with the GCC Runtime Library Exception 3.1
  (https://www.gnu.org/licenses/gcc-exception-3.1.html), which lets them be
  linked into programs under any license. From Debian's GCC source package
  (` + "`gcc-12`" + ` on Debian 12; same Built-Using field and SOURCES file).

To relink onair with a modified glibc: take onair's source (above), build
your glibc for arm-linux-gnueabi, and run the linux/arm build of
.ci/cross.sh with ` + "`CGO_LDFLAGS=\"-B DIR -L DIR\"`" + ` in the environment, DIR
being the directory with your libc.a, crt1.o, crti.o and crtn.o
(` + "`TARGETS=linux/arm CGO_LDFLAGS=\"-B DIR -L DIR\" .ci/cross.sh`" + `).

The other binaries link glibc dynamically (the system's) or not at all.
`

func fence(b *strings.Builder, text string) {
	b.WriteString("```text\n")
	b.WriteString(strings.TrimRight(text, "\n") + "\n")
	b.WriteString("```\n")
}

// debText formats a license body for debian/copyright: one leading space,
// "." for an empty line (Debian Policy 5.6.13, copyright-format 1.0).
func debText(text string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		l = strings.TrimRight(l, " \t\r")
		if strings.TrimSpace(l) == "" {
			b.WriteString(" .\n")
			continue
		}
		b.WriteString(" " + l + "\n")
	}
	return b.String()
}

func debField(name, value string) string {
	lines := strings.Split(value, "\n")
	s := name + ": " + lines[0] + "\n"
	for _, l := range lines[1:] {
		s += " " + l + "\n"
	}
	return s
}

func renderCopyright(mods []module, byPath map[string]notice, texts map[string]map[string]string, goLicense string) string {
	onairLicense, _ := os.ReadFile("../LICENSE")
	var b strings.Builder
	b.WriteString("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
	b.WriteString("Upstream-Name: onair\n")
	b.WriteString("Upstream-Contact: https://github.com/onair-dev/onair/issues\n")
	b.WriteString("Source: https://github.com/onair-dev/onair\n")
	b.WriteString(debField("Comment", "/usr/bin/onair is built from the onair source and the Go modules below,\n"+
		"at the versions in onair's go.mod (`go version -m /usr/bin/onair` lists\n"+
		"them). Paths under vendor/ are those `go mod vendor` gives each module;\n"+
		"go/ is the Go standard library. Generated by configs/notices_test.go;\n"+
		"the same notices with each module's own license files are in\n"+
		"/usr/share/doc/onair/THIRD_PARTY_NOTICES.md.gz."))
	b.WriteString("\nFiles: *\nCopyright: the onair authors\nLicense: Expat\n")
	b.WriteString(debText(licenseBody(string(onairLicense))))
	b.WriteString("\nFiles: go/*\nCopyright: 2009 The Go Authors\nLicense: BSD-3-clause\n")
	b.WriteString(debText(goLicense))
	// The C runtime that the static linux/arm (armhf) build contains; see
	// glibcNotice.
	b.WriteString("\nFiles: glibc/*\nCopyright: 1991-2022 Free Software Foundation, Inc. and the glibc contributors\nLicense: LGPL-2.1+\n")
	b.WriteString(debField("Comment", "The armhf package only: /usr/bin/onair is linked statically there (for the\n"+
		"ARMv6 Raspberry Pi Zero and Pi 1) and contains parts of the GNU C Library,\n"+
		"from Debian's glibc source package at the version in this package's\n"+
		"Built-Using field (https://snapshot.debian.org/package/glibc/;\n"+
		"upstream https://sourceware.org/glibc/). A few glibc files carry other\n"+
		"permissive licenses, listed in glibc's LICENSES file. How to relink:\n"+
		"/usr/share/doc/onair/THIRD_PARTY_NOTICES.md.gz, \"GNU C Library and libgcc\"."))
	b.WriteString("\nFiles: libgcc/*\nCopyright: 1987-2022 Free Software Foundation, Inc.\nLicense: GPL-3+ with GCC-Runtime-Library-3.1 exception\n")
	b.WriteString(debField("Comment", "The armhf package only: libgcc and the GCC start files, from Debian's\n"+
		"GCC source package (gcc-12 on Debian 12) at the version in this package's\n"+
		"Built-Using field."))
	standalone := map[string]string{}
	for _, m := range mods {
		n := byPath[m.Path]
		for _, f := range n.Deb {
			var pats []string
			for _, p := range strings.Fields(f.Pattern) {
				pats = append(pats, "vendor/"+m.Path+"/"+p)
			}
			b.WriteString("\n" + debField("Files", strings.Join(pats, "\n")))
			b.WriteString(debField("Copyright", f.Copyright))
			b.WriteString("License: " + f.License + "\n")
			switch {
			case f.Text == "yaml-mit":
				b.WriteString(debText(yamlMIT(texts[m.Path]["LICENSE"])))
			case f.Text != "":
				b.WriteString(debText(licenseBody(texts[m.Path][f.Text])))
			}
			if f.Comment != "" {
				b.WriteString(debField("Comment", f.Comment))
			}
		}
		for _, lt := range n.Texts {
			if lt.Name == "EPL-2.0" || lt.Name == "EDL-1.0" {
				standalone[lt.Name] = texts[m.Path][lt.File]
			}
		}
	}
	// Licenses named by an "or" expression, or without a text above.
	b.WriteString("\nLicense: GPL-3+ with GCC-Runtime-Library-3.1 exception\n" + debText("This library is free software; you can redistribute it and/or modify it\n"+
		"under the terms of the GNU General Public License as published by the Free\n"+
		"Software Foundation; either version 3, or (at your option) any later version.\n\n"+
		"Under Section 7 of GPL version 3, you are granted additional permissions\n"+
		"described in the GCC Runtime Library Exception, version 3.1, as published\n"+
		"by the Free Software Foundation\n"+
		"(https://www.gnu.org/licenses/gcc-exception-3.1.html).\n\n"+
		"On Debian systems, the full text of the GNU General Public License version 3\n"+
		"is in /usr/share/common-licenses/GPL-3."))
	b.WriteString("\nLicense: Apache-2.0\n" + debText("On Debian systems, the full text of the Apache License, Version 2.0 is in\n/usr/share/common-licenses/Apache-2.0."))
	b.WriteString("\nLicense: LGPL-2.1+\n" + debText("This library is free software; you can redistribute it and/or modify it\n"+
		"under the terms of the GNU Lesser General Public License as published by\n"+
		"the Free Software Foundation; either version 2.1 of the License, or (at\n"+
		"your option) any later version.\n\n"+
		"On Debian systems, the full text of the GNU Lesser General Public License\n"+
		"version 2.1 is in /usr/share/common-licenses/LGPL-2.1."))
	for _, name := range slices.Sorted(maps.Keys(standalone)) {
		b.WriteString("\nLicense: " + name + "\n" + debText(licenseBody(standalone[name])))
	}
	return b.String()
}

// licenseBody drops a leading title line such as "MIT License" so that the
// DEP-5 paragraph does not repeat its own short name.
func licenseBody(text string) string {
	text = strings.TrimLeft(text, "\n ")
	first, rest, _ := strings.Cut(text, "\n")
	switch strings.TrimSpace(first) {
	case "MIT License", "The MIT License (MIT)":
		return strings.TrimLeft(rest, "\n")
	}
	return text
}

// yamlMIT is the MIT part of go.yaml.in/yaml/v3's LICENSE, which holds the
// Apache notice first and the MIT license after "#### MIT License ####".
func yamlMIT(license string) string {
	_, mit, ok := strings.Cut(license, "#### MIT License ####")
	if !ok {
		return license
	}
	return strings.TrimLeft(mit, "\n")
}
