package llm

import (
	"strings"
	"testing"
)

func TestPlace(t *testing.T) {
	cpu := Device{Name: "CPU", Backend: "CPU", Kind: DeviceCPU, FreeBytes: 16 << 30}
	small := Device{Name: "CUDA0", Description: "Small GPU", Backend: "CUDA", Kind: DeviceGPU, FreeBytes: 2 << 30}
	big := Device{Name: "CUDA1", Description: "Big GPU", Backend: "CUDA", Kind: DeviceGPU, FreeBytes: 40 << 30}
	model := ModelInfo{Layers: 31, FileSize: 4 << 30}
	for _, tc := range []struct {
		name      string
		devs      []Device
		opts      ModelOptions
		device    string
		layers    int
		reasonHas string
	}{
		{"no gpu", []Device{cpu}, ModelOptions{}, "CPU", 0, "no GPU"},
		{"forced cpu", []Device{big, cpu}, ModelOptions{CPUOnly: true}, "CPU", 0, "settings"},
		{"fits on the bigger gpu", []Device{small, big, cpu}, ModelOptions{}, "CUDA1", 32, "all 32 layers"},
		{"partial", []Device{small, cpu}, ModelOptions{}, "CUDA0", 12, "12 of 32"},
		{"manual layers", []Device{big, cpu}, ModelOptions{GPULayers: 5}, "CUDA1", 5, "as set"},
		{"too small", []Device{{Name: "G", Kind: DeviceGPU, FreeBytes: 100 << 20}, cpu}, ModelOptions{}, "CPU", 0, "does not fit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := place(tc.devs, model, tc.opts, 2)
			if p.Device != tc.device || p.GPULayers != tc.layers || !strings.Contains(p.Reason, tc.reasonHas) {
				t.Errorf("place = %+v", p)
			}
		})
	}
}

func TestCheckMemory(t *testing.T) {
	devs := []Device{{Name: "CPU", Kind: DeviceCPU, TotalBytes: 8 << 30}}
	if err := checkMemory(devs, ModelInfo{FileSize: 4 << 30, Layers: 31}, Placement{}); err != nil {
		t.Errorf("4 GiB model in 8 GiB: %v", err)
	}
	err := checkMemory(devs, ModelInfo{FileSize: 40 << 30, Layers: 31}, Placement{})
	if err == nil || !strings.Contains(err.Error(), "smaller") {
		t.Errorf("40 GiB model in 8 GiB: %v", err)
	}
	// Offloaded layers do not count against system memory.
	if err := checkMemory(devs, ModelInfo{FileSize: 12 << 30, Layers: 31}, Placement{Layers: 31, GPULayers: 32}); err != nil {
		t.Errorf("fully offloaded: %v", err)
	}
}

func TestPlacePolicyWithoutModel(t *testing.T) {
	gpu := Device{Name: "Metal", Description: "Apple M2", Backend: "Metal", Kind: DeviceGPU, FreeBytes: 10 << 30}
	p := place([]Device{gpu}, ModelInfo{}, ModelOptions{}, 8)
	if p.Backend != "Metal" || !strings.Contains(p.Reason, "Apple M2") {
		t.Errorf("place = %+v", p)
	}
}
