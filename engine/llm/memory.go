package llm

// Memory returns this computer's RAM and the free memory of its best GPU,
// in bytes; 0 when unknown (a build without llama.cpp).
func Memory() (ram, gpu uint64) {
	for _, d := range Devices() {
		switch d.Kind {
		case DeviceCPU:
			ram = d.TotalBytes
		case DeviceGPU:
			gpu = max(gpu, d.FreeBytes)
		}
	}
	return ram, gpu
}
