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
	// write stores data at path; writeFileAtomic except in tests, which
	// inject ENOSPC or EROFS (as root, chmod does not stop a write).
	write func(path string, data []byte) error
	now   func() time.Time

	mu       sync.Mutex
	stamp    fileStamp         // the file as last read or written by us
	target   cache.Unmarshaler // what stamp was loaded into
	warnedRW bool              // permissions warning logged

	// A failed write leaves MSAL's newer tokens in memory only. pending is
	// what should be on disk, retried by Replace every writeRetry until it
	// lands; writeErr is the last failure, for Client.CacheWriteError.
	pending   []byte
	writeErr  *CacheWriteError
	nextRetry time.Time
}

// writeRetry is how often a failed cache write is retried. Each Token call
// passes through Replace, so without it a full disk would be hit every poll.
const writeRetry = time.Minute

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
		c.retryWriteLocked()
		return nil
	}
	// Someone else (`onair login`) wrote the file since our failed write:
	// theirs is newer, so the tokens only we hold in memory are dropped,
	// as with any two writers (last writer wins).
	c.pending, c.writeErr = nil, nil
	var data []byte
	if fi != nil {
		c.checkModeLocked(fi)
		data, err = readFile(c.path)
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
	if err := c.write(c.path, data); err != nil {
		// A local storage fault, not an Entra ID one: MSAL has already put
		// the new tokens in its in-memory cache, and the old file is intact
		// with c.stamp still describing it, so Replace keeps the in-memory
		// tokens instead of reloading stale ones. Returning nil lets MSAL
		// hand out the token it just got, so presence keeps flowing; the
		// write is retried by Replace and reported by CacheWriteError.
		c.failedLocked(data, err)
		return nil
	}
	c.wroteLocked()
	if u, ok := m.(cache.Unmarshaler); ok {
		c.target = u
	}
	return nil
}

// current returns the file's stamp as MSAL last read or wrote it.
func (c *fileCache) current() fileStamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stamp
}

// settled reports whether the file is still as stamp describes it to this
// cache (no read or write since) and no write is waiting to be retried.
func (c *fileCache) settled(stamp fileStamp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending == nil && c.stamp.same(stamp)
}

// failedLocked records a failed write of data.
func (c *fileCache) failedLocked(data []byte, err error) {
	first := c.writeErr == nil
	c.pending = data
	c.writeErr = &CacheWriteError{Path: c.path, Err: err}
	c.nextRetry = c.now().Add(writeRetry)
	if first {
		c.logger.Error("token_cache_unwritable", "path", c.path, "err", err, "retry_every", writeRetry)
	}
}

// retryWriteLocked writes the pending cache when a retry is due.
func (c *fileCache) retryWriteLocked() {
	if c.pending == nil || c.now().Before(c.nextRetry) {
		return
	}
	if err := c.write(c.path, c.pending); err != nil {
		c.failedLocked(c.pending, err)
		return
	}
	c.wroteLocked()
	c.logger.Info("token_cache_written", "path", c.path)
}

// wroteLocked records a successful write.
func (c *fileCache) wroteLocked() {
	c.pending, c.writeErr = nil, nil
	fi, err := os.Stat(c.path)
	if err != nil {
		c.stamp = fileStamp{} // written; the next Replace re-reads it
		return
	}
	c.stamp = stampOf(fi)
}

// writeError returns the last failed write, or nil once a write landed.
func (c *fileCache) writeError() *CacheWriteError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeErr
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
	c.pending, c.writeErr = nil, nil
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
	if err = replaceFile(tmp, path); err != nil {
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
