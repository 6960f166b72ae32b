//go:build linux

package auth_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
)

// mountTmpfs mounts a small tmpfs at a new directory and unmounts it when
// the test ends. It skips the test where mounting is not allowed (not root,
// or a container without CAP_SYS_ADMIN): the injected-failure test covers
// the same code everywhere.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v); TestCacheWriteFailureKeepsTokensFlowing covers this with injected failures", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// A real read-only file system and a real full disk, as root (where mode
// bits do not stop a write): tokens keep flowing, the error is a storage
// one, and the cache is written once the file system recovers.
func TestCacheWriteFailureRealFileSystem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		errno   error
		break_  func(t *testing.T, dir string)
		recover func(t *testing.T, dir string)
	}{
		{
			name:  "read-only",
			errno: syscall.EROFS,
			break_: func(t *testing.T, dir string) {
				if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
					t.Fatalf("remount read-only: %v", err)
				}
			},
			recover: func(t *testing.T, dir string) {
				if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT, ""); err != nil {
					t.Fatalf("remount read-write: %v", err)
				}
			},
		},
		{
			name:  "full",
			errno: syscall.ENOSPC,
			break_: func(t *testing.T, dir string) {
				f, err := os.Create(filepath.Join(dir, "filler"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				chunk := make([]byte, 4096)
				for {
					if _, err := f.Write(chunk); err != nil {
						if !errors.Is(err, syscall.ENOSPC) {
							t.Fatalf("fill: %v", err)
						}
						return
					}
				}
			},
			recover: func(t *testing.T, dir string) {
				if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
					t.Fatal(err)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mountTmpfs(t, "256k")
			f := newFixture(t, entratest.Options{AccessTokenLifetime: time.Minute})
			f.cache = filepath.Join(dir, "tokens.json")
			c := f.client(t)
			login(t, c)
			var mu = make(chan struct{}, 1)
			now := time.Now()
			auth.SetCacheWrite(c, nil, func() time.Time { mu <- struct{}{}; defer func() { <-mu }(); return now })

			tc.break_(t, dir)
			before, _ := os.ReadFile(f.cache)
			for range 2 {
				if tok := mustToken(t, c); !f.srv.ValidAccessToken(tok) {
					t.Fatalf("token %q not valid", tok)
				}
			}
			err := c.CacheWriteError()
			if !errors.Is(err, auth.ErrCacheUnwritable) || !errors.Is(err, tc.errno) || errors.Is(err, auth.ErrUnavailable) {
				t.Fatalf("CacheWriteError = %v, want ErrCacheUnwritable and %v", err, tc.errno)
			}
			if after, _ := os.ReadFile(f.cache); !bytes.Equal(before, after) {
				t.Error("cache file changed while the file system was broken")
			}

			tc.recover(t, dir)
			mu <- struct{}{}
			now = now.Add(2 * time.Minute)
			<-mu
			last := mustToken(t, c)
			if err := c.CacheWriteError(); err != nil {
				t.Fatalf("after recovery: CacheWriteError = %v", err)
			}
			// MSAL keeps one-minute access tokens out of the file; the
			// refresh token issued with the newest one is what a restart needs.
			rt := strings.Replace(last, entratest.AccessToken, entratest.RefreshToken, 1)
			if data, _ := os.ReadFile(f.cache); !bytes.Contains(data, []byte(`"`+rt+`"`)) {
				t.Errorf("cache file lacks the newest refresh token %s after recovery:\n%s", rt, data)
			}
		})
	}
}
