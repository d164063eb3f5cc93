package main

import (
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/cpu"
)

// cpuLevel is the x86-64 level llama.cpp was compiled for, set by the
// release build through -ldflags: "x86-64" (runs anywhere), "x86-64-v3"
// (AVX2, FMA), "x86-64-v4" (AVX-512). "" is a local build for this CPU.
var cpuLevel = ""

// variantEnv stops a variant from looking for variants in turn.
const variantEnv = "CARREL_CPU_VARIANT"

// variantName is the file a release ships a level's build under, next to
// the baseline binary.
func variantName(level string) string {
	name := "carrel-" + level
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// bestVariant returns the build of Carrel beside this one (or in
// ../lib/carrel) that is compiled
// for the best x86-64 level this CPU supports, or "" when this binary is
// already the best there is. Only the baseline build of a release looks.
func bestVariant() string {
	if cpuLevel != "x86-64" || runtime.GOARCH != "amd64" || os.Getenv(variantEnv) != "" {
		return ""
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	dir := filepath.Dir(exe)
	// Beside the binary (the Windows zip), or in ../lib/carrel (the Linux
	// install: bin/carrel and lib/carrel/carrel-x86-64-v3).
	for _, level := range supportedLevels() {
		for _, d := range []string{dir, filepath.Join(dir, "..", "lib", "carrel")} {
			p := filepath.Join(d, variantName(level))
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p
			}
		}
	}
	return ""
}

// supportedLevels lists the x86-64 levels above the baseline that this
// CPU runs, best first.
func supportedLevels() []string {
	x := cpu.X86
	v3 := x.HasAVX && x.HasAVX2 && x.HasFMA && x.HasBMI1 && x.HasBMI2 && x.HasOSXSAVE
	v4 := v3 && x.HasAVX512F && x.HasAVX512BW && x.HasAVX512CD && x.HasAVX512DQ && x.HasAVX512VL
	var out []string
	if v4 {
		out = append(out, "x86-64-v4")
	}
	if v3 {
		out = append(out, "x86-64-v3")
	}
	return out
}
