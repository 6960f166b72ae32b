package auth

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// replaceFile renames tmp over path. On Windows a rename cannot replace a
// file that another process (the daemon, or `onair login`) holds open for
// reading without FILE_SHARE_DELETE, which is how Go's os.Open opens files:
// MoveFileEx then fails with ERROR_ACCESS_DENIED or ERROR_SHARING_VIOLATION.
// Readers hold the cache for a millisecond or two, so a few short retries
// (about a second in all) get through.
func replaceFile(tmp, path string) error {
	return retryShared(func() error { return os.Rename(tmp, path) })
}

// readFile reads the cache file. While another process replaces it, opening
// it can fail the same way for a moment (the old file is pending delete), so
// the read is retried like the rename.
func readFile(path string) (data []byte, err error) {
	err = retryShared(func() (err error) {
		data, err = os.ReadFile(path)
		return err
	})
	return data, err
}

// retryShared runs op until it succeeds, fails for another reason, or about
// a second has passed.
func retryShared(op func() error) error {
	wait := 2 * time.Millisecond
	for i := 0; ; i++ {
		err := op()
		if err == nil || i == 9 || !(errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 250*time.Millisecond)
	}
}
