//go:build !linux

package feeds_test

import "time"

// processCPU is unavailable here: the benchmarks then report wall time only.
func processCPU(int) (time.Duration, bool) { return 0, false }

// resetPeakRSS is unavailable here: no peak memory is reported.
func resetPeakRSS() bool { return false }

// peakRSS is unavailable here.
func peakRSS() (int64, bool) { return 0, false }

// currentRSS is unavailable here.
func currentRSS() (int64, bool) { return 0, false }
