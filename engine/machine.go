package engine

import (
	"context"

	"github.com/carrel-ai/carrel/engine/inference"
	"github.com/carrel-ai/carrel/engine/llm"
)

// Device is a device models can run on: the CPU, a GPU.
type Device = llm.Device

// Machine is what this computer offers models.
type Machine struct {
	// ModelSupport is false for a build without llama.cpp.
	ModelSupport bool
	// SystemInfo is llama.cpp's line of the CPU features it uses.
	SystemInfo string
	// Threads is the default thread count: one per physical core.
	Threads int
	Devices []Device
	// BackendDirs are the folders GPU backend libraries are looked for in.
	BackendDirs []string
}

// ThisMachine says what this computer offers models.
func ThisMachine() Machine {
	return Machine{ModelSupport: llm.Available(), SystemInfo: llm.SystemInfo(), Threads: llm.PhysicalCores(),
		Devices: llm.Devices(), BackendDirs: llm.BackendDirs()}
}

// PlanModel says where a model would run, and why: on the GPU with how
// many layers, or on the CPU. The zero ModelInfo gives the choice for a
// model of no particular size.
func PlanModel(info ModelInfo, cpuOnly bool) Placement {
	return inference.PlacementOf(llm.Plan(info, llm.ModelOptions{CPUOnly: cpuOnly}))
}

// ProbeModel loads the model at path to confirm where it runs and how its
// conversations are laid out (ModelStatus.ChatFormat), then frees it.
func ProbeModel(ctx context.Context, path string, cpuOnly bool) (Placement, string, error) {
	m, err := llm.Load(ctx, path, llm.ModelOptions{CPUOnly: cpuOnly})
	if err != nil {
		return Placement{}, "", err
	}
	defer m.Close()
	return inference.PlacementOf(m.Placement()), m.ChatFormat(), nil
}
