package auth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
)

func TestCacheFileModeAndNoLeftovers(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	c := f.client(t)
	login(t, c)
	for range 3 {
		mustToken(t, c) // each refresh rewrites the file
	}

	fi, err := os.Stat(f.cache)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("cache file mode = %v, want -rw-------", got)
	}
	for _, dir := range []string{filepath.Dir(f.cache), filepath.Dir(filepath.Dir(f.cache))} {
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := di.Mode().Perm(); got != 0o700 {
			t.Errorf("directory %s mode = %v, want drwx------", dir, got)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(f.cache))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != filepath.Base(f.cache) {
		t.Errorf("cache directory holds %v, want only %s (no temporary files)", names, filepath.Base(f.cache))
	}
	data, err := os.ReadFile(f.cache)
	if err != nil {
		t.Fatal(err)
	}
	var contract map[string]json.RawMessage
	if err := json.Unmarshal(data, &contract); err != nil || contract["RefreshToken"] == nil || contract["Account"] == nil {
		t.Errorf("cache file is not an MSAL cache with RefreshToken and Account: %v", err)
	}
}

func TestCacheFileLoosePermissionsAreFixed(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	login(t, f.client(t))
	if err := os.Chmod(f.cache, 0o644); err != nil {
		t.Fatal(err)
	}

	var buf bytes.Buffer
	c := f.client(t, func(o *auth.Options) { o.Logger = slog.New(slog.NewTextHandler(&buf, nil)) })
	mustToken(t, c) // reads the loose file, refreshes, rewrites it
	mustToken(t, c)
	if n := strings.Count(buf.String(), "msg=token_cache_permissions"); n != 1 {
		t.Errorf("permission warnings = %d, want 1:\n%s", n, buf.String())
	}
	fi, err := os.Stat(f.cache)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("cache file mode after rewrite = %v, want -rw-------", got)
	}
}

// TestCacheWritesAreAtomic reads the file while another goroutine keeps
// rewriting it: every read must be a whole cache, never a torn one.
func TestCacheWritesAreAtomic(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
	c := f.client(t)
	login(t, c)

	done := make(chan struct{})
	var reads, torn int
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			data, err := os.ReadFile(f.cache)
			if err != nil {
				torn++ // the file must always exist between writes
				continue
			}
			reads++
			if !json.Valid(data) {
				torn++
			}
		}
	})
	for range 20 {
		mustToken(t, c)
	}
	close(done)
	wg.Wait()
	if reads == 0 || torn != 0 {
		t.Errorf("%d reads during 20 rewrites, %d missing or torn; want >0 and 0", reads, torn)
	}
}

func TestCorruptCache(t *testing.T) {
	t.Parallel()
	const marker = "SEKRIT-RT-in-corrupt-file"
	tests := []struct {
		name  string
		setup func(path string) error
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("not json "+marker), 0o600) }},
		{"truncated", func(p string) error {
			return os.WriteFile(p, []byte(`{"RefreshToken":{"k":{"secret":"`+marker), 0o600)
		}},
		{"wrong shape", func(p string) error { return os.WriteFile(p, []byte(`["`+marker+`"]`), 0o600) }},
		{"binary", func(p string) error { return os.WriteFile(p, []byte{0xff, 0xfe, 0x00, 0x01}, 0o600) }},
		{"directory", func(p string) error { return os.Mkdir(p, 0o700) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, entratest.Options{})
			if err := os.MkdirAll(filepath.Dir(f.cache), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tt.setup(f.cache); err != nil {
				t.Fatal(err)
			}
			c := f.client(t)

			_, err := c.Token(t.Context())
			ce, ok := errors.AsType[*auth.CacheError](err)
			if !ok || !errors.Is(err, auth.ErrCacheUnreadable) || ce.Path != f.cache {
				t.Fatalf("Token = %v, want a *CacheError for %s", err, f.cache)
			}
			if errors.Is(err, auth.ErrLoginRequired) || errors.Is(err, auth.ErrUnavailable) {
				t.Errorf("Token = %v: a broken cache is neither login-required nor transient", err)
			}
			msg := err.Error()
			for _, want := range []string{f.cache, "unreadable", "onair logout", "onair login"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, marker) {
				t.Errorf("message quotes the cache content: %q", msg)
			}
			if _, _, err := c.Account(t.Context()); !errors.Is(err, auth.ErrCacheUnreadable) {
				t.Errorf("Account = %v, want ErrCacheUnreadable", err)
			}

			// Login refuses before showing a code the user would approve in vain.
			if _, err := c.LoginDeviceCode(t.Context(), func(auth.DeviceCode) { t.Error("device code shown") }); !errors.Is(err, auth.ErrCacheUnreadable) {
				t.Errorf("LoginDeviceCode = %v, want ErrCacheUnreadable", err)
			}
			if n := f.srv.Counts().DeviceCode; n != 0 {
				t.Errorf("device code requests = %d, want 0", n)
			}

			// The remedy works: logout removes the file, login succeeds.
			if err := c.Logout(t.Context()); err != nil {
				t.Fatalf("Logout: %v", err)
			}
			if _, err := os.Stat(f.cache); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("cache after logout: %v, want removed", err)
			}
			login(t, c)
			mustToken(t, c)
		})
	}
}

func TestCacheFileDeletedUnderneath(t *testing.T) {
	t.Parallel()
	f := newFixture(t, entratest.Options{})
	c := f.client(t)
	login(t, c)
	mustToken(t, c)
	if err := os.Remove(f.cache); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(t.Context()); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("Token after the file vanished = %v, want ErrLoginRequired", err)
	}
}
