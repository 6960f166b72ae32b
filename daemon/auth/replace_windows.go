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
	wait := 2 * time.Millisecond
	for i := 0; ; i++ {
		err := os.Rename(tmp, path)
		if err == nil || i == 9 || !(errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)) {
			return err
		}
		time.Sleep(wait)
		wait = min(2*wait, 250*time.Millisecond)
	}
}
