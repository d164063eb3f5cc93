package llm

import "fmt"

// Plan says where a model would run without loading it. With a zero
// ModelInfo it describes the choice for models in general.
func Plan(info ModelInfo, opts ModelOptions) Placement {
	return place(Devices(), info, opts, PhysicalCores())
}

// place decides where a model runs: every layer on the GPU with the most
// free memory when the model fits, as many layers as fit when it does not,
// else the CPU. The reason is written for people (`carrel info`).
func place(devs []Device, info ModelInfo, opts ModelOptions, threads int) Placement {
	p := Placement{Device: "CPU", Backend: "CPU", Layers: info.Layers, Threads: threads}
	if opts.CPUOnly {
		p.Reason = "CPU chosen in settings"
		return p
	}
	var gpu *Device
	for i := range devs {
		d := &devs[i]
		if d.Kind != DeviceGPU && d.Kind != DeviceIGPU {
			continue
		}
		if gpu == nil || d.FreeBytes > gpu.FreeBytes {
			gpu = d
		}
	}
	if gpu == nil {
		p.Reason = "no GPU found: running on the CPU"
		return p
	}
	p.Device, p.Backend = gpu.Name, gpu.Backend
	if info.FileSize == 0 { // no model in view: describe the policy
		p.Reason = fmt.Sprintf("models are offloaded to %s (%s free); one too large for it is split with the CPU", gpu.Description, gib(gpu.FreeBytes))
		return p
	}
	total := info.Layers + 1 // the output layer counts as one more
	if opts.GPULayers > 0 {
		p.GPULayers = min(opts.GPULayers, total)
		p.Reason = fmt.Sprintf("%d of %d layers on %s as set in settings", p.GPULayers, total, gpu.Description)
		return p
	}
	// Weights plus room for the KV cache and compute buffers.
	const overhead = 512 << 20
	need := uint64(info.FileSize) + overhead
	if need <= gpu.FreeBytes {
		p.GPULayers = total
		p.Reason = fmt.Sprintf("all %d layers fit on %s (%s free)", total, gpu.Description, gib(gpu.FreeBytes))
		return p
	}
	perLayer := uint64(info.FileSize) / uint64(max(total, 1))
	n := 0
	if gpu.FreeBytes > overhead && perLayer > 0 {
		n = int((gpu.FreeBytes - overhead) / perLayer)
	}
	if n < 1 {
		p.Device, p.Backend = "CPU", "CPU"
		p.Reason = fmt.Sprintf("model (%s) does not fit on %s (%s free): running on the CPU", gib(uint64(info.FileSize)), gpu.Description, gib(gpu.FreeBytes))
		return p
	}
	p.GPULayers = min(n, total)
	p.Reason = fmt.Sprintf("%d of %d layers fit on %s (%s free); the rest run on the CPU", p.GPULayers, total, gpu.Description, gib(gpu.FreeBytes))
	return p
}

func gib(b uint64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// checkMemory refuses a model that cannot fit in RAM plus the GPU share.
func checkMemory(devs []Device, info ModelInfo, p Placement) error {
	var ram uint64
	for _, d := range devs {
		if d.Kind == DeviceCPU {
			ram = d.TotalBytes
		}
	}
	if ram == 0 {
		return nil
	}
	onCPU := uint64(info.FileSize)
	if p.GPULayers > 0 && p.Layers > 0 {
		onCPU = onCPU * uint64(max(p.Layers+1-p.GPULayers, 0)) / uint64(p.Layers+1)
	}
	if onCPU > ram {
		return fmt.Errorf("the model needs about %s of memory and this computer has %s; choose a smaller or more quantized model", gib(onCPU), gib(ram))
	}
	return nil
}
