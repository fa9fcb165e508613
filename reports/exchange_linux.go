package reports

import "golang.org/x/sys/unix"

// exchange atomically swaps the paths a and b (a variable so tests can take
// the fallback path).
var exchange = func(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
