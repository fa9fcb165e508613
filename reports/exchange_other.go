//go:build !linux

package reports

import "errors"

// exchange is not available here; swapIn falls back to two renames.
var exchange = func(a, b string) error { return errors.New("no atomic exchange on this system") }
