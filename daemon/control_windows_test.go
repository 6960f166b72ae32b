package daemon

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/onair-dev/onair/daemon/config"
)

// TestControlFileDACL reads the control file's security descriptor back:
// the DACL is protected and holds exactly owner, SYSTEM and Administrators
// with full access, so other users cannot read the secret even where the
// directory (C:\ProgramData) would let them.
func TestControlFileDACL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onair", "control.json")
	// A leftover file with the directory's inherited ACL is replaced, not
	// overwritten in place (which would keep its ACL).
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"addr":"127.0.0.1:1","secret":"old"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, secret, cleanup, err := listenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	defer ln.Close()
	if len(secret) != 64 {
		t.Fatalf("secret %q: want 64 hex digits", secret)
	}

	got, protected := readDACL(t, path)
	want := []string{
		"S-1-3-4 FILE_ALL_ACCESS",      // OW: the owner
		"S-1-5-18 FILE_ALL_ACCESS",     // SY: LocalSystem
		"S-1-5-32-544 FILE_ALL_ACCESS", // BA: Administrators
	}
	if underWine() {
		// Wine keeps no DACL on files: it turns the one given to CreateFile
		// into Unix mode bits and shows them back as owner, SYSTEM and, when
		// others may read, Everyone. What it can show: nobody else has
		// access, where a file created the default way grants Everyone read.
		owner := fileOwner(t, path)
		for _, e := range got {
			if sid := strings.Fields(e)[0]; sid != owner && sid != "S-1-5-18" && sid != "S-1-3-4" && sid != "S-1-5-32-544" {
				t.Errorf("control file grants %s; want only owner, SYSTEM and Administrators (DACL %q)", e, got)
			}
		}
		plain := filepath.Join(filepath.Dir(path), "plain.json")
		if err := os.WriteFile(plain, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		if pg, _ := readDACL(t, plain); !strings.Contains(strings.Join(pg, ","), "S-1-1-0 ") {
			t.Errorf("a file created the default way under Wine: DACL %q, want an Everyone entry (else this check shows nothing)", pg)
		}
		t.Logf("Wine: control file DACL %q (Wine cannot store %q; checked that no one else has access)", got, controlFileSDDL)
	} else {
		if !protected {
			t.Errorf("DACL not protected: inherited entries would apply (DACL %q)", got)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("DACL entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	// The file still does its job: the client finds the address and secret.
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), secret) {
		t.Fatalf("control file %q (%v): want the secret in it", b, err)
	}
}

// readDACL returns a file's DACL entries as sorted "SID RIGHTS" strings and
// whether the DACL is protected from inheritance.
func readDACL(t *testing.T, path string) ([]string, bool) {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	ctl, _, err := sd.Control()
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("%s: no DACL (%v): everyone has access; SDDL %s", path, err, sd)
	}
	var got []string
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			t.Fatal(err)
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE {
			t.Errorf("%s: ACE %d: type %d, want ACCESS_ALLOWED", path, i, ace.Header.AceType)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		got = append(got, sid.String()+" "+maskName(ace.Mask))
	}
	sort.Strings(got)
	return got, ctl&windows.SE_DACL_PROTECTED != 0
}

func fileOwner(t *testing.T, path string) string {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		t.Fatal(err)
	}
	return owner.String()
}

// underWine: Wine's ntdll exports wine_get_version, Windows' does not.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func maskName(m windows.ACCESS_MASK) string {
	if m == fileAllAccess {
		return "FILE_ALL_ACCESS"
	}
	return fmt.Sprintf("mask %#x", uint32(m))
}

// TestControlSecret: the loopback API answers only with the per-start
// secret; a wrong or missing one is 401 and changes nothing.
func TestControlSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.json")
	cfg := config.DefaultConfig()
	d, err := New(Options{Config: cfg, Paths: config.Paths{Socket: path}, Demo: true, NoLights: true, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := d.listenControl()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { cs.serve(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	_, base, secret, err := dialControl(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong", "Bearer " + strings.Repeat("0", len(secret)), http.StatusUnauthorized},
		{"prefix", "Bearer " + secret[:len(secret)-1], http.StatusUnauthorized},
		{"longer", "Bearer " + secret + "0", http.StatusUnauthorized},
		{"right", "Bearer " + secret, http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/pause", strings.NewReader(`{}`))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s secret: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		d.mu.Lock()
		paused := d.st.paused
		d.mu.Unlock()
		if paused != (tc.want == http.StatusOK) {
			t.Errorf("%s secret: paused = %v after the request", tc.name, paused)
		}
	}
}

// fileAllAccess is FILE_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE
// | 0x1FF), what the SDDL right "FA" stands for; x/sys/windows has no
// constant for it.
const fileAllAccess = 0x001F01FF
