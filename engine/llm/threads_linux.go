package llm

import (
	"bufio"
	"os"
	"strings"
)

// physicalCores counts distinct (physical id, core id) pairs in
// /proc/cpuinfo; 0 when it cannot tell.
func physicalCores() int {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	cores := map[string]bool{}
	var phys, core string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if core != "" {
				cores[phys+"/"+core] = true
			}
			phys, core = "", ""
			continue
		}
		switch strings.TrimSpace(k) {
		case "physical id":
			phys = strings.TrimSpace(v)
		case "core id":
			core = strings.TrimSpace(v)
		}
	}
	if core != "" {
		cores[phys+"/"+core] = true
	}
	return len(cores)
}
