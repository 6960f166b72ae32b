package auth

import "time"

// SetCacheWrite replaces how c writes its cache file and the clock that
// times write retries, so tests can inject ENOSPC or EROFS (tests run as
// root, where a read-only mode bit does not stop a write).
func SetCacheWrite(c *Client, write func(path string, data []byte) error, now func() time.Time) {
	c.cache.mu.Lock()
	defer c.cache.mu.Unlock()
	if write != nil {
		c.cache.write = write
	}
	if now != nil {
		c.cache.now = now
	}
}

// WriteFileAtomic is the real cache writer.
var WriteFileAtomic = writeFileAtomic

// ReadFile reads the cache file the way the cache does (retrying while
// Windows replaces it).
var ReadFile = readFile
