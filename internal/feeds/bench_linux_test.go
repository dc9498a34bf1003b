//go:build linux

package feeds_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/PID/stat (USER_HZ), which
// is 100 on every Linux architecture Go supports.
const clockTicks = 100

// processCPU returns the user and system CPU time the process pid has used
// so far, pid 0 meaning this process.
func processCPU(pid int) (time.Duration, bool) {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, false
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, in parentheses, may hold spaces: fields are counted
	// after its closing parenthesis, where the state is field 3.
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, false
	}
	fields := strings.Fields(string(raw[end+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(fields[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, true
}

// resetPeakRSS restarts the kernel's record of this process's peak resident
// set (VmHWM) from its current size, so that peakRSS measures one operation.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns the peak resident set of this process since the last
// resetPeakRSS (or its start): everything it touched, Go heap, stacks,
// SQLite's own allocations and the binary alike.
func peakRSS() (int64, bool) { return statusBytes("VmHWM:") }

// currentRSS returns the resident set of this process now.
func currentRSS() (int64, bool) { return statusBytes("VmRSS:") }

// statusBytes reads a size field ("VmRSS:", in kB) of /proc/self/status.
func statusBytes(field string) (int64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}
