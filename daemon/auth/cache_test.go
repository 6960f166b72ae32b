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
	"syscall"
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
			data, err := auth.ReadFile(f.cache) // as the cache reads it
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

// A cache file that cannot be written (full disk, read-only state
// directory) is a local storage fault: tokens keep flowing from memory, the
// error names the file and the remedy, and the write lands once storage
// recovers. The failure is injected (ENOSPC, EROFS) because tests run as
// root, where a read-only mode bit does not stop a write.
func TestCacheWriteFailureKeepsTokensFlowing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		errno  error
		remedy string
	}{
		{syscall.ENOSPC, "free disk space"},
		{syscall.EROFS, "read-only file system"},
	} {
		t.Run(tc.errno.Error(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
			var logs bytes.Buffer
			c := f.client(t, func(o *auth.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
			login(t, c)
			before, err := os.ReadFile(f.cache)
			if err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			failing, now := true, time.Now()
			auth.SetCacheWrite(c, func(path string, data []byte) error {
				mu.Lock()
				defer mu.Unlock()
				if failing {
					return &os.PathError{Op: "write", Path: path, Err: tc.errno}
				}
				return auth.WriteFileAtomic(path, data)
			}, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })

			refreshes := f.srv.Counts().RefreshToken
			for range 3 {
				tok := mustToken(t, c) // 1-minute tokens: every call refreshes
				if !f.srv.ValidAccessToken(tok) {
					t.Fatalf("token %q not valid at the fake", tok)
				}
			}
			if got := f.srv.Counts().RefreshToken - refreshes; got != 3 {
				t.Errorf("refreshes = %d, want 3 (each from the in-memory refresh token)", got)
			}
			werr := c.CacheWriteError()
			var cwe *auth.CacheWriteError
			if !errors.As(werr, &cwe) || !errors.Is(werr, auth.ErrCacheUnwritable) || !errors.Is(werr, tc.errno) {
				t.Fatalf("CacheWriteError = %v, want a *CacheWriteError matching ErrCacheUnwritable and %v", werr, tc.errno)
			}
			if errors.Is(werr, auth.ErrUnavailable) {
				t.Errorf("CacheWriteError %v matches ErrUnavailable; it is a local fault", werr)
			}
			if !strings.Contains(cwe.Remedy(), tc.remedy) || !strings.Contains(werr.Error(), f.cache) {
				t.Errorf("error %q: want the path and remedy %q", werr, tc.remedy)
			}
			if n := strings.Count(logs.String(), "token_cache_unwritable"); n != 1 {
				t.Errorf("token_cache_unwritable logged %d times, want once:\n%s", n, logs.String())
			}
			if strings.Contains(logs.String(), "entra_unavailable") {
				t.Errorf("a storage fault was logged as Entra ID unavailable:\n%s", logs.String())
			}
			if after, _ := os.ReadFile(f.cache); !bytes.Equal(after, before) {
				t.Error("cache file changed while writes failed")
			}

			// Storage recovers; the retry is due a minute later.
			mu.Lock()
			failing, now = false, now.Add(2*time.Minute)
			mu.Unlock()
			f.srv.SetAccessTokenLifetime(time.Hour)
			last := mustToken(t, c)
			if err := c.CacheWriteError(); err != nil {
				t.Fatalf("CacheWriteError after recovery = %v, want nil", err)
			}
			// A restart (new Client) finds the newest tokens on disk.
			if data, _ := os.ReadFile(f.cache); !bytes.Contains(data, []byte(last)) {
				t.Error("cache file does not hold the newest access token after recovery")
			}
			if tok := mustToken(t, f.client(t)); tok != last {
				t.Errorf("restart: token %q, want the cached %q", tok, last)
			}
		})
	}
}
