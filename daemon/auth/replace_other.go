//go:build !windows

package auth

import "os"

// replaceFile renames tmp over path; POSIX rename replaces a file that
// another process has open.
func replaceFile(tmp, path string) error { return os.Rename(tmp, path) }

// readFile reads the cache file; POSIX lets it be read while it is replaced.
func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
