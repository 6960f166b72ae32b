package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/cache"
)

// fileCache is MSAL's persistent token cache: one file, mode 0600, in a
// directory created 0700, written atomically (temporary file in the same
// directory, fsync, rename). MSAL calls Replace before every silent token
// request, so Replace skips the read when the file is unchanged since it was
// last read or written; the in-memory cache then already holds its content.
//
// Two processes (the daemon and `onair login`) may share the file. Renames keep
// every reader's view whole; the last writer wins.
type fileCache struct {
	path   string
	logger *slog.Logger

	mu       sync.Mutex
	stamp    fileStamp         // the file as last read or written by us
	target   cache.Unmarshaler // what stamp was loaded into
	warnedRW bool              // permissions warning logged
}

// fileStamp identifies one version of the cache file.
type fileStamp struct {
	info    fs.FileInfo // nil: file absent
	modTime time.Time
	size    int64
	valid   bool
}

func stampOf(fi fs.FileInfo) fileStamp {
	if fi == nil {
		return fileStamp{valid: true}
	}
	return fileStamp{info: fi, modTime: fi.ModTime(), size: fi.Size(), valid: true}
}

func (s fileStamp) same(o fileStamp) bool {
	if !s.valid || !o.valid {
		return false
	}
	if s.info == nil || o.info == nil {
		return s.info == nil && o.info == nil
	}
	return os.SameFile(s.info, o.info) && s.modTime.Equal(o.modTime) && s.size == o.size
}

var _ cache.ExportReplace = (*fileCache)(nil)

// Replace implements cache.ExportReplace: it loads the file into MSAL's
// in-memory cache. A missing file is an empty cache.
func (c *fileCache) Replace(ctx context.Context, u cache.Unmarshaler, _ cache.ReplaceHints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()

	fi, err := os.Stat(c.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fi = nil
	case err != nil:
		return &CacheError{Path: c.path, Err: err}
	case !fi.Mode().IsRegular():
		return &CacheError{Path: c.path, Err: fmt.Errorf("not a regular file (%s)", fi.Mode().Type())}
	}
	st := stampOf(fi)
	if sameTarget(c.target, u) && st.same(c.stamp) {
		return nil
	}
	var data []byte
	if fi != nil {
		c.checkModeLocked(fi)
		data, err = os.ReadFile(c.path)
		if errors.Is(err, fs.ErrNotExist) {
			data, err = nil, nil // removed between Stat and ReadFile
		}
		if err != nil {
			return &CacheError{Path: c.path, Err: err}
		}
	}
	if err := u.Unmarshal(data); err != nil {
		// MSAL's decoder errors name a character or type, never the value.
		return &CacheError{Path: c.path, Err: fmt.Errorf("not an MSAL token cache: %w", err)}
	}
	c.stamp, c.target = st, u
	return nil
}

// Export implements cache.ExportReplace: it writes MSAL's cache atomically.
func (c *fileCache) Export(ctx context.Context, m cache.Marshaler, _ cache.ExportHints) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("encode token cache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := writeFileAtomic(c.path, data); err != nil {
		// The old file is intact and c.stamp still describes it, so Replace
		// keeps MSAL's newer in-memory tokens instead of reloading stale ones.
		return fmt.Errorf("write token cache %s: %w", c.path, err)
	}
	fi, err := os.Stat(c.path)
	if err != nil {
		c.stamp = fileStamp{}
		return nil // written; the next Replace re-reads it
	}
	c.stamp = stampOf(fi)
	if u, ok := m.(cache.Unmarshaler); ok {
		c.target = u
	}
	return nil
}

// sameTarget reports whether a and b are the same MSAL cache object. MSAL
// passes pointers; other dynamic types never match rather than risk a panic
// comparing uncomparable values.
func sameTarget(a, b cache.Unmarshaler) bool {
	if a == nil || b == nil || reflect.TypeOf(a) != reflect.TypeOf(b) || !reflect.TypeOf(a).Comparable() {
		return false
	}
	return a == b
}

// remove deletes the cache file. A missing file is not an error.
func (c *fileCache) remove() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stamp, c.target = fileStamp{}, nil
	if err := os.Remove(c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("auth: remove token cache %s: %w", c.path, err)
	}
	return nil
}

// checkModeLocked warns once when the file is readable by others (Unix only;
// Windows reports synthetic modes).
func (c *fileCache) checkModeLocked(fi fs.FileInfo) {
	if runtime.GOOS == "windows" || c.warnedRW || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	c.warnedRW = true
	c.logger.Warn("token_cache_permissions", "path", c.path, "mode", fi.Mode().Perm().String(), "want", "-rw-------")
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so readers see the old or the new file, never a torn one. The
// directory is created with mode 0700 and the file ends with mode 0600.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where the OS allows fsync on a directory.
// Failure only weakens durability across a power cut, so it is ignored.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
