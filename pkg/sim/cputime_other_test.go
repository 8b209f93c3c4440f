//go:build !unix

package sim

import "time"

func processCPUTime() (time.Duration, bool) { return 0, false }
