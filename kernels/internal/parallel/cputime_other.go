//go:build !unix

package parallel

import "time"

// processCPU reports no CPU time where the platform has no getrusage: the
// pool then backs off on late workers only.
func processCPU() (time.Duration, bool) { return 0, false }
