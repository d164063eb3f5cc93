package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/carrel-ai/carrel/engine"
)

// infoReport is what `carrel info` prints; its JSON form is stable.
type infoReport struct {
	Version       string          `json:"version"`
	OS            string          `json:"os"`
	Arch          string          `json:"arch"`
	GoVersion     string          `json:"go_version"`
	LlamaCPP      bool            `json:"llama_cpp"`
	CPUFlags      string          `json:"cpu_build_flags"`
	CPULevel      string          `json:"cpu_level,omitempty"`
	SystemInfo    string          `json:"system_info"`
	Threads       int             `json:"default_threads"`
	Devices       []engine.Device `json:"devices"`
	Backend       string          `json:"backend"`
	Reason        string          `json:"reason"`
	BackendDirs   []string        `json:"backend_dirs"`
	DataDir       string          `json:"data_dir"`
	LibraryServer string          `json:"library_server,omitempty"` // without its password
	// LibraryServers are the libraries placed on servers of their own, by
	// name, each server without its password.
	LibraryServers map[string]string `json:"library_servers,omitempty"`
	// LibraryChatServers are the model servers of single libraries, by
	// name (their addresses; keys are never shown).
	LibraryChatServers map[string]string `json:"library_chat_servers,omitempty"`
	// LibrarySearch is how each library with an embedding model of its
	// own is searched, by name.
	LibrarySearch map[string]engine.SearchMethod `json:"library_search,omitempty"`
	Search        engine.SearchMethod            `json:"search"`
	OCR           engine.OCRInfo                 `json:"ocr"`
	Model         *modelReport                   `json:"model,omitempty"`
}

type modelReport struct {
	engine.ModelInfo
	Placement  *engine.Placement `json:"placement,omitempty"`
	ChatFormat string            `json:"chat_format,omitempty"`
}

func infoCmd() *command {
	fs := flag.NewFlagSet("info", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	model := fs.String("model", "", "also describe this GGUF model `file` and where it would run")
	cpu := fs.Bool("cpu", false, "show the choice with the CPU forced")
	load := fs.Bool("load", false, "with --model: load it to confirm the choice (slower)")
	data := dataFlag(fs)
	return &command{
		Name: "info", Usage: "[--json] [--model FILE [--load]]",
		Short: "show the devices found, the backend chosen and why, the build's CPU features and the data folder",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("info takes no arguments")
			}
			m := engine.ThisMachine()
			r := infoReport{
				Version: version, OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version(),
				LlamaCPP: m.ModelSupport, CPUFlags: cpuFlags, CPULevel: cpuLevel, SystemInfo: m.SystemInfo,
				Threads: m.Threads, Devices: m.Devices, BackendDirs: m.BackendDirs,
			}
			d, err := dataDir(*data)
			if err != nil {
				return err
			}
			r.DataDir = d
			set, err := engine.ReadSettings(d)
			if err != nil {
				return explain(err)
			}
			r.Search = engine.Options{}.SearchMethodFor(set)
			r.LibraryServer = set.LibraryServer
			if u := os.Getenv(libraryServerEnv); u != "" {
				r.LibraryServer = u
			}
			r.LibraryServer = engine.RedactServer(r.LibraryServer)
			// Empty maps are left out of the JSON (omitempty).
			r.LibraryServers, r.LibraryChatServers, r.LibrarySearch = map[string]string{}, map[string]string{}, map[string]engine.SearchMethod{}
			for name, conn := range set.LibraryServers {
				r.LibraryServers[name] = engine.RedactServer(conn)
			}
			for name, ms := range set.LibraryChatServers {
				r.LibraryChatServers[name] = ms.URL
			}
			for name, c := range set.LibraryEmbedModels {
				r.LibrarySearch[name] = engine.Options{}.SearchMethodOf(set, c)
			}
			r.OCR = engine.OCRFor(ctx, set)
			p := engine.PlanModel(engine.ModelInfo{}, *cpu)
			r.Backend, r.Reason = p.Backend, p.Reason
			if !r.LlamaCPP {
				r.Backend, r.Reason = "none", "this binary was built without llama.cpp"
			}
			if *model != "" {
				mi, err := engine.ReadModelInfo(*model)
				if err != nil {
					return explain(err)
				}
				mr := &modelReport{ModelInfo: mi}
				pl := engine.PlanModel(mi, *cpu)
				mr.Placement = &pl
				if *load {
					if pl, mr.ChatFormat, err = engine.ProbeModel(ctx, *model, *cpu); err != nil {
						return explain(err)
					}
				}
				r.Model = mr
			}
			if *asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			printInfo(r)
			return nil
		},
	}
}

func printInfo(r infoReport) {
	fmt.Printf("Carrel %s (%s/%s, %s)\n\n", r.Version, r.OS, r.Arch, r.GoVersion)
	fmt.Printf("Backend:      %s: %s\n", r.Backend, r.Reason)
	fmt.Printf("Threads:      %d (one per physical core)\n", r.Threads)
	fmt.Printf("Data folder:  %s\n", r.DataDir)
	if r.LibraryServer != "" {
		fmt.Printf("Libraries:    on the team server %s\n", r.LibraryServer)
	}
	for _, n := range slices.Sorted(maps.Keys(r.LibraryServers)) {
		fmt.Printf("Library:      %q on the team server %s\n", n, r.LibraryServers[n])
	}
	for _, n := range slices.Sorted(maps.Keys(r.LibraryChatServers)) {
		fmt.Printf("Library:      %q answered by the model server %s\n", n, r.LibraryChatServers[n])
	}
	for _, n := range slices.Sorted(maps.Keys(r.LibrarySearch)) {
		fmt.Printf("Library:      %q searched %s\n", n, r.LibrarySearch[n].Describe())
	}
	fmt.Printf("Search:       %s\n", r.Search.Describe())
	if r.Search.Model != "" {
		fmt.Printf("              embedding model %s\n", r.Search.Model)
	} else if r.Search.Note != "" {
		fmt.Printf("              %s\n", r.Search.Note)
	}
	fmt.Printf("Scans (OCR):  %s\n", describeOCR(r.OCR))
	fmt.Printf("Build:        llama.cpp %v, C flags %q\n", r.LlamaCPP, r.CPUFlags)
	if r.CPULevel != "" {
		fmt.Printf("CPU variant:  %s\n", r.CPULevel)
	}
	fmt.Printf("System info:  %s\n\nDevices:\n", r.SystemInfo)
	for _, d := range r.Devices {
		fmt.Printf("  %-8s %-5s %s, %s free of %s\n", d.Name, d.Kind, d.Description, engine.SizeText(int64(d.FreeBytes)), engine.SizeText(int64(d.TotalBytes)))
		if len(d.Features) > 0 {
			var fs []string
			for k, v := range d.Features {
				if v == "1" {
					fs = append(fs, k)
				} else {
					fs = append(fs, k+"="+v)
				}
			}
			sort.Strings(fs)
			fmt.Printf("           features: %s\n", strings.Join(fs, " "))
		}
	}
	fmt.Printf("\nGPU backend libraries are looked for in:\n")
	for _, d := range r.BackendDirs {
		fmt.Printf("  %s\n", d)
	}
	if m := r.Model; m != nil {
		fmt.Printf("\nModel %s\n", m.Path)
		fmt.Printf("  name %s, architecture %s, %s parameters, %s, %s on disk\n", m.Name, m.Architecture, engine.ParamsText(m.Params), orDash(m.Quantization), engine.SizeText(m.FileSize))
		fmt.Printf("  context %d tokens, embedding length %d, %d layers, vocabulary %d\n", m.ContextLength, m.EmbeddingLength, m.Layers, m.VocabSize)
		tmpl := "none (a plain transcript is used)"
		if m.ChatTemplate != "" {
			tmpl = fmt.Sprintf("yes (%d characters)", len(m.ChatTemplate))
		}
		fmt.Printf("  chat template: %s\n", tmpl)
		if m.ChatFormat != "" {
			fmt.Printf("  chats use: %s\n", m.ChatFormat)
		}
		if p := m.Placement; p != nil {
			fmt.Printf("  runs on: %s, %d of %d layers offloaded: %s\n", p.Backend, p.GPULayers, p.Layers+1, p.Reason)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// describeOCR says in a line whether scans are read, and with what.
func describeOCR(o engine.OCRInfo) string {
	if !o.Available {
		return "not read: " + o.Problem
	}
	langs := strings.Join(o.Using, "+")
	if o.Automatic {
		langs = "automatic by script, among " + strings.Join(o.Using, ", ")
	}
	return fmt.Sprintf("read by Tesseract %s (%s), languages: %s", o.Version, o.Program, langs)
}
