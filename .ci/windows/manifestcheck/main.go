// Command manifestcheck validates the rendered winget (multi-file manifest,
// schema 1.6.0) and Scoop manifests that .ci/windows/manifests.sh writes:
// well-formed YAML/JSON, the required fields of each manifest type, their
// formats (identifier, SHA256, https URLs), no unknown top-level keys, no
// unrendered @PLACEHOLDER@, and the same identifier and version in every
// winget file. The rules follow the public schemas:
// https://github.com/microsoft/winget-cli/tree/master/schemas/JSON/manifests/v1.6.0
// and https://github.com/ScoopInstaller/Scoop/wiki/App-Manifests.
//
//	go run ./.ci/windows/manifestcheck FILE...
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	identifierRE = regexp.MustCompile(`^[^.\s\\/:*?"<>|\x01-\x1f]{1,32}(\.[^.\s\\/:*?"<>|\x01-\x1f]{1,32}){1,3}$`)
	versionRE    = regexp.MustCompile(`^[^\\/:*?"<>|\x01-\x1f]{1,128}$`)
	sha256RE     = regexp.MustCompile(`^[A-Fa-f0-9]{64}$`)
	guidRE       = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
	placeholder  = regexp.MustCompile(`@[A-Z_0-9]+@`)
)

// keys are the top-level properties each winget 1.6.0 manifest type allows.
var keys = map[string][]string{
	"version": {"PackageIdentifier", "PackageVersion", "DefaultLocale", "ManifestType", "ManifestVersion"},
	"installer": {"PackageIdentifier", "PackageVersion", "Channel", "InstallerLocale", "Platform",
		"MinimumOSVersion", "InstallerType", "NestedInstallerType", "NestedInstallerFiles", "Scope",
		"InstallModes", "InstallerSwitches", "InstallerSuccessCodes", "ExpectedReturnCodes",
		"UpgradeBehavior", "Commands", "Protocols", "FileExtensions", "Dependencies",
		"PackageFamilyName", "ProductCode", "Capabilities", "RestrictedCapabilities", "Markets",
		"InstallerAbortsTerminal", "ReleaseDate", "InstallLocationRequired", "RequireExplicitUpgrade",
		"DisplayInstallWarnings", "UnsupportedOSArchitectures", "UnsupportedArguments",
		"AppsAndFeaturesEntries", "ElevationRequirement", "InstallationMetadata",
		"DownloadCommandProhibited", "Installers", "ManifestType", "ManifestVersion"},
	"defaultLocale": {"PackageIdentifier", "PackageVersion", "PackageLocale", "Publisher",
		"PublisherUrl", "PublisherSupportUrl", "PrivacyUrl", "Author", "PackageName", "PackageUrl",
		"License", "LicenseUrl", "Copyright", "CopyrightUrl", "ShortDescription", "Description",
		"Moniker", "Tags", "Agreements", "ReleaseNotes", "ReleaseNotesUrl", "PurchaseUrl",
		"InstallationNotes", "Documentations", "Icons", "ManifestType", "ManifestVersion"},
}

var installerTypes = []string{"msix", "msi", "appx", "exe", "zip", "inno", "nullsoft", "wix", "burn", "pwa", "portable"}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: manifestcheck FILE...")
		os.Exit(2)
	}
	var problems []string
	ids := map[string]string{}
	for _, f := range os.Args[1:] {
		b, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if p := placeholder.Find(b); p != nil {
			problems = append(problems, fmt.Sprintf("%s: unrendered placeholder %s", f, p))
		}
		var errs []string
		if strings.HasSuffix(f, ".json") {
			errs = checkScoop(b)
		} else {
			var id string
			id, errs = checkWinget(b)
			if id != "" {
				ids[f] = id
			}
		}
		for _, e := range errs {
			problems = append(problems, f+": "+e)
		}
	}
	var first string
	for f, id := range ids {
		if first == "" {
			first = id
		} else if id != first {
			problems = append(problems, fmt.Sprintf("%s: identifier/version %s differs from %s", f, id, first))
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(os.Stderr, "manifestcheck:\n  "+strings.Join(problems, "\n  "))
		os.Exit(1)
	}
	fmt.Printf("manifestcheck: %d manifests valid\n", len(os.Args)-1)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func need(m map[string]any, errs *[]string, k string, min, max int) string {
	s, ok := m[k].(string)
	switch {
	case !ok:
		*errs = append(*errs, fmt.Sprintf("%s: required string missing", k))
	case len(s) < min || len(s) > max:
		*errs = append(*errs, fmt.Sprintf("%s: %q: want %d to %d characters", k, s, min, max))
	}
	return s
}

func url(m map[string]any, errs *[]string, k string) {
	if v, ok := m[k]; ok {
		if s, _ := v.(string); !strings.HasPrefix(s, "https://") || len(s) > 2048 {
			*errs = append(*errs, fmt.Sprintf("%s: %q: want an https URL", k, s))
		}
	}
}

func checkWinget(b []byte) (string, []string) {
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return "", []string{"YAML: " + err.Error()}
	}
	var errs []string
	typ := str(m, "ManifestType")
	allowed, ok := keys[typ]
	if !ok {
		return "", []string{fmt.Sprintf("ManifestType %q: want version, installer or defaultLocale", typ)}
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			errs = append(errs, fmt.Sprintf("%s: not a property of a %s manifest", k, typ))
		}
	}
	if v := str(m, "ManifestVersion"); v != "1.6.0" {
		errs = append(errs, fmt.Sprintf("ManifestVersion %q: want 1.6.0", v))
	}
	id := need(m, &errs, "PackageIdentifier", 1, 128)
	if !identifierRE.MatchString(id) {
		errs = append(errs, fmt.Sprintf("PackageIdentifier %q: want Publisher.Package", id))
	}
	ver := need(m, &errs, "PackageVersion", 1, 128)
	if !versionRE.MatchString(ver) {
		errs = append(errs, fmt.Sprintf("PackageVersion %q: invalid characters", ver))
	}
	switch typ {
	case "version":
		need(m, &errs, "DefaultLocale", 1, 20)
	case "defaultLocale":
		need(m, &errs, "PackageLocale", 1, 20)
		need(m, &errs, "Publisher", 2, 256)
		need(m, &errs, "PackageName", 2, 256)
		need(m, &errs, "License", 3, 512)
		need(m, &errs, "ShortDescription", 3, 256)
		for _, k := range []string{"PublisherUrl", "PackageUrl", "LicenseUrl", "ReleaseNotesUrl"} {
			url(m, &errs, k)
		}
	case "installer":
		list, _ := m["Installers"].([]any)
		if len(list) == 0 {
			errs = append(errs, "Installers: required, at least one")
		}
		for i, x := range list {
			in, _ := x.(map[string]any)
			if in == nil {
				errs = append(errs, fmt.Sprintf("Installers[%d]: want a mapping", i))
				continue
			}
			if a := str(in, "Architecture"); !slices.Contains([]string{"x86", "x64", "arm", "arm64", "neutral"}, a) {
				errs = append(errs, fmt.Sprintf("Installers[%d].Architecture %q", i, a))
			}
			t := str(in, "InstallerType")
			if t == "" {
				t = str(m, "InstallerType")
			}
			if !slices.Contains(installerTypes, t) {
				errs = append(errs, fmt.Sprintf("Installers[%d]: InstallerType %q (here or at the top)", i, t))
			}
			url(in, &errs, "InstallerUrl")
			if _, ok := in["InstallerUrl"]; !ok {
				errs = append(errs, fmt.Sprintf("Installers[%d].InstallerUrl: required", i))
			}
			if s := str(in, "InstallerSha256"); !sha256RE.MatchString(s) {
				errs = append(errs, fmt.Sprintf("Installers[%d].InstallerSha256 %q: want 64 hex digits", i, s))
			}
			if pc := str(in, "ProductCode"); pc != "" && !guidRE.MatchString(pc) {
				errs = append(errs, fmt.Sprintf("Installers[%d].ProductCode %q: want {GUID}", i, pc))
			}
		}
	}
	return id + "@" + ver, errs
}

func checkScoop(b []byte) []string {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return []string{"JSON: " + err.Error()}
	}
	var errs []string
	for _, k := range []string{"version", "description", "homepage", "license"} {
		need(m, &errs, k, 1, 1000)
	}
	url(m, &errs, "homepage")
	if _, ok := m["bin"]; !ok {
		errs = append(errs, "bin: required (onair.exe on PATH)")
	}
	res := m
	if arch, ok := m["architecture"].(map[string]any); ok {
		res, _ = arch["64bit"].(map[string]any)
		if res == nil {
			return append(errs, "architecture.64bit: missing")
		}
	}
	url(res, &errs, "url")
	if str(res, "url") == "" {
		errs = append(errs, "url: required")
	}
	if h := str(res, "hash"); !sha256RE.MatchString(h) {
		errs = append(errs, fmt.Sprintf("hash %q: want the archive's SHA256 (64 hex digits)", h))
	}
	return errs
}
