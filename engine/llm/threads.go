package llm

import "runtime"

// PhysicalCores returns the number of physical CPU cores this process may
// use. Hyper-threads share a core's vector units, so llama.cpp runs fastest
// with one thread per physical core and slows down badly with more.
func PhysicalCores() int {
	n := runtime.NumCPU() // honours CPU affinity and cgroup limits
	if p := physicalCores(); p > 0 && p < n {
		n = p
	}
	return max(n, 1)
}
