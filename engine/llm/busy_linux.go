package llm

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// freeCPUs estimates how many CPUs other programs leave free, from the
// kernel's counters sampled over window: the idle time plus this
// process's own (its threads may still be finishing the last call, or
// waiting for the next). ok is false when it cannot tell.
func freeCPUs(window time.Duration) (free float64, ok bool) {
	idle0, total0, ok0 := cpuTimes()
	self0, okS0 := selfTime()
	time.Sleep(window)
	idle1, total1, ok1 := cpuTimes()
	self1, okS1 := selfTime()
	if !ok0 || !ok1 || !okS0 || !okS1 || total1 <= total0 {
		return 0, false
	}
	spare := float64(idle1-idle0) + float64(self1-self0)
	return min(float64(runtime.NumCPU()), float64(runtime.NumCPU())*spare/float64(total1-total0)), true
}

// selfTime is this process's user and system time, in the clock ticks of
// /proc/stat.
func selfTime() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64) // utime, field 14
	s, err2 := strconv.ParseUint(f[12], 10, 64) // stime, field 15
	return u + s, err1 == nil && err2 == nil
}

// cpuTimes reads the aggregate idle and total jiffies of /proc/stat.
func cpuTimes() (idle, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return idle, total, true
}
