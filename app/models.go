package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/engine"
	"github.com/carrel-ai/carrel/lab"
)

func modelsCmd() *command {
	return &command{
		Name: "models", Usage: "list|use|download|shrink [flags]",
		Short: "the models on this computer, the recommended ones, and which Carrel uses",
		Subs:  map[string]*command{"list": modelsListCmd(), "use": modelsUseCmd(), "download": modelsDownloadCmd(), "shrink": modelsShrinkCmd()},
	}
}

func modelsListCmd() *command {
	fs := flag.NewFlagSet("models list", flag.ContinueOnError)
	data := dataFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "models list", Usage: "[--json]",
		Short: "the chat and embedding models in use, GGUF models found on this computer (Ollama, LM Studio, GPT4All, Jan, llama.cpp, Hugging Face), and the catalog",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			dir, err := dataDir(*data)
			if err != nil {
				return err
			}
			s, err := engine.ReadSettings(dir)
			if err != nil {
				return err
			}
			method := engine.Options{}.SearchMethodFor(s)
			found, err := engine.FindModelsFor(ctx, dir)
			if err != nil {
				return err
			}
			ram, gpu := engine.Memory()
			catalog, rec := engine.CatalogModels()
			fits := func(need uint64) any {
				if ram == 0 {
					return nil
				}
				return need <= ram || (gpu > 0 && need <= gpu)
			}
			if *asJSON {
				var fl []map[string]any
				for _, f := range found {
					fl = append(fl, map[string]any{"name": f.Name, "source": f.Source, "path": f.Path, "size": f.Info.FileSize,
						"quantization": f.Info.Quantization, "architecture": f.Info.Architecture, "params": f.Info.Params,
						"embedding": f.Embedding, "fits": fits(engine.MemoryNeeded(f.Info))})
				}
				var cat []map[string]any
				for _, e := range catalog {
					cat = append(cat, map[string]any{"id": e.ID, "name": e.Name, "kind": e.Kind, "params": e.Params, "size": e.Size,
						"ram": e.RAM, "license": e.License, "note": e.Note, "recommended": e.ID == rec.ID, "fits": fits(uint64(e.RAM))})
				}
				return json.NewEncoder(os.Stdout).Encode(map[string]any{
					"chat_model": s.ChatModel, "embed_model": method.Model, "search": method, "found": fl, "catalog": cat, "ram": ram, "gpu_free": gpu})
			}
			fmt.Printf("Chat model:      %s\n", orNone(s.ChatModel))
			fmt.Printf("Embedding model: %s\n", orNone(method.Model))
			fmt.Printf("Search:          %s\n\n", method.Describe())
			if len(found) == 0 {
				fmt.Println("No GGUF models found on this computer.")
			} else {
				fmt.Println("On this computer:")
				for _, f := range found {
					kind := "chat"
					if f.Embedding {
						kind = "embedding"
					}
					warn := ""
					if ok, known := fits(engine.MemoryNeeded(f.Info)).(bool); known && !ok {
						warn = "  (too big for this computer's memory)"
					}
					fmt.Printf("  %-40s %-12s %-9s %8s %-7s%s\n      %s\n", f.Name, f.Source, kind, engine.SizeText(f.Info.FileSize), f.Info.Quantization, warn, f.Path)
				}
			}
			fmt.Println("\nRecommended downloads (carrel models download ID):")
			for _, e := range catalog {
				mark := " "
				if e.ID == rec.ID {
					mark = "★"
				}
				fmt.Printf(" %s %-24s %-9s %8s  needs %s RAM  %s\n      %s\n", mark, e.ID, e.Kind, engine.SizeText(e.Size), engine.SizeText(e.RAM), e.License, e.Note)
			}
			fmt.Println("\nUse one with: carrel models use FILE (or a name from the list above)")
			return nil
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func modelsUseCmd() *command {
	fs := flag.NewFlagSet("models use", flag.ContinueOnError)
	data := dataFlag(fs)
	embed := fs.Bool("embed", false, "set the embedding model (search by meaning) instead of the chat model; the library is re-embedded")
	rerank := fs.Bool("rerank", false, "set the reranking model, which re-orders the best passages of every search (\"none\" turns it off)")
	return &command{
		Name: "models use", Usage: "FILE|NAME [--embed|--rerank]",
		Short: "choose the chat model (or with --embed the embedding model): a GGUF file, or a name from \"carrel models list\"",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one model file or name")
			}
			dir, err := dataDir(*data)
			if err != nil {
				return err
			}
			if *embed && *rerank {
				return usagef("--embed and --rerank choose different models: give one")
			}
			if v := embedSetting(args[0]); *embed && (v == "" || v == engine.NoEmbedModel) {
				return useSearchMethod(ctx, dir, func(s *engine.Settings) { s.EmbedModel = v })
			}
			if *rerank && strings.EqualFold(args[0], "none") {
				return useSearchMethod(ctx, dir, func(s *engine.Settings) { s.Reranker = "" })
			}
			path, err := resolveModel(ctx, dir, args[0])
			if err != nil {
				return err
			}
			info, err := engine.ReadModelInfo(path)
			if err != nil {
				return explain(err)
			}
			if info.Adapter {
				return fmt.Errorf("%s is a LoRA adapter, not a model: set it as adapter in the settings", path)
			}
			e, err := engine.Open(ctx, engine.Options{DataDir: dir, NoIndexing: true, NoWatch: true})
			if err != nil {
				return err
			}
			defer e.Close()
			s := e.Settings()
			switch {
			case *embed:
				s.EmbedModel = path
			case *rerank:
				s.Reranker = path
			default:
				s.ChatModel = path
			}
			reindex, err := e.SetSettings(ctx, s)
			if err != nil {
				return explain(err)
			}
			what := "chat"
			if *embed {
				what = "embedding"
			} else if *rerank {
				what = "reranking"
			}
			fmt.Printf("%s model: %s (%s)\n", what, info.Name, strings.TrimPrefix(info.Quantization+", "+engine.SizeText(info.FileSize), ", "))
			if reindex {
				fmt.Println("The library will be re-embedded with it the next time Carrel indexes (the app, or \"carrel watch\"); until then it is searched by words.")
			}
			return nil
		},
	}
}

// useSearchMethod changes a search setting (the built-in embedding model,
// none, no reranker) and says how libraries are searched now.
func useSearchMethod(ctx context.Context, dir string, change func(*engine.Settings)) error {
	e, err := engine.Open(ctx, engine.Options{DataDir: dir, NoIndexing: true, NoWatch: true, NoChatModel: true})
	if err != nil {
		return explain(err)
	}
	defer e.Close()
	s := e.Settings()
	change(&s)
	if _, err := e.SetSettings(ctx, s); err != nil {
		return explain(err)
	}
	fmt.Printf("Libraries are searched %s.\n", e.SearchMethod().Describe())
	return nil
}

// resolveModel accepts a file, or the name of a model found on this
// computer, or a catalog id already downloaded.
func resolveModel(ctx context.Context, dir, arg string) (string, error) {
	if st, err := os.Stat(arg); err == nil && !st.IsDir() {
		return filepath.Abs(arg)
	}
	if e, err := engine.LookupModel(arg); err == nil {
		p := engine.ModelFile(dir, e)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		return "", fmt.Errorf("%s is not downloaded yet: carrel models download %s", arg, e.ID)
	}
	found, err := engine.FindModelsFor(ctx, dir)
	if err != nil {
		return "", err
	}
	for _, f := range found {
		if strings.EqualFold(f.Name, arg) {
			return f.Path, nil
		}
	}
	return "", fmt.Errorf("no model file or name %q: see \"carrel models list\"", arg)
}

func modelsDownloadCmd() *command {
	fs := flag.NewFlagSet("models download", flag.ContinueOnError)
	data := dataFlag(fs)
	return &command{
		Name: "models download", Usage: "ID",
		Short: "download a catalog model into the data folder (resumable; Ctrl+C stops and keeps what was fetched)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give one catalog id; \"carrel models list\" shows them")
			}
			e, err := engine.LookupModel(args[0])
			if err != nil {
				return usagef("%s", engine.Describe(err))
			}
			dir, err := dataDir(*data)
			if err != nil {
				return err
			}
			if e.Bundled {
				fmt.Printf("%s ships with Carrel: nothing to download. It is used unless the settings name another embedding model (carrel models use built-in --embed).\n", e.Name)
				return nil
			}
			dest := engine.ModelFile(dir, e)
			if _, err := os.Stat(dest); err == nil {
				fmt.Printf("%s is already downloaded: %s\n", e.Name, dest)
				return nil
			}
			fmt.Fprintf(os.Stderr, "Downloading %s (%s, %s) from %s\n", e.Name, engine.SizeText(e.Size), e.License, e.URL)
			term := isTerminal(os.Stderr)
			dest, v, err := engine.DownloadModelTo(ctx, dir, string(e.ID), func(p engine.DownloadProgress) {
				if !term {
					return
				}
				total := p.Total
				if total == 0 {
					total = e.Size
				}
				fmt.Fprintf(os.Stderr, "\r\033[K%s of %s · %.1f MB/s · %s left", engine.SizeText(p.Done), engine.SizeText(total), p.BytesPerSec/(1<<20), p.ETA.Round(1e9))
			})
			if term {
				fmt.Fprint(os.Stderr, "\r\033[K")
			}
			if err != nil {
				if ctx.Err() != nil {
					fmt.Fprintln(os.Stderr, "Stopped; run the same command again to resume.")
				}
				return err
			}
			fmt.Printf("Downloaded %s to %s\nChecked: %s.\nUse it with: carrel models use %s", e.Name, dest, v, e.ID)
			switch e.Kind {
			case engine.EmbeddingModel:
				fmt.Print(" --embed")
			case engine.RerankingModel:
				fmt.Print(" --rerank")
			}
			fmt.Println()
			return nil
		},
	}
}

func modelsShrinkCmd() *command {
	fs := flag.NewFlagSet("models shrink", flag.ContinueOnError)
	data := dataFlag(fs)
	to := fs.String("to", "Q4_K_M", "the quantization: Q4_K_M, Q5_K_M, Q8_0, … (any llama.cpp file type)")
	out := fs.String("out", "", "the smaller copy's `file` (default: the data folder's models/, named after FILE and the quantization)")
	library := fs.String("library", "", "measure perplexity on this library's passages (default: the settings' library, else the first)")
	threads := fs.Int("threads", 0, "threads for quantizing and measuring (0: one per physical core)")
	return &command{
		Name: "models shrink", Usage: "FILE [--to Q4_K_M|Q5_K_M|Q8_0] [--out FILE] [--library NAME]",
		Short: "write a smaller (quantized) copy of a model with llama.cpp's quantizer, and compare the two: size, speed, and perplexity on your library's text",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return usagef("give the GGUF model file to shrink")
			}
			in := absPath(args[0])
			dir, err := dataDir(*data)
			if err != nil {
				return err
			}
			dest := *out
			if dest == "" {
				stem := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
				dest = filepath.Join(dir, "models", stem+"-"+strings.ToUpper(*to)+".gguf")
				if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
					return err
				}
			}
			text, lib, err := libraryText(ctx, *data, *library)
			if err != nil {
				return err
			}
			if text == "" {
				fmt.Fprintln(os.Stderr, "note: no library with indexed text, so perplexity is not measured (add documents first, or name one with --library)")
			} else {
				fmt.Fprintf(os.Stderr, "perplexity is measured on the passages of library %q\n", lib)
			}
			err = lab.ShrinkModel(ctx, lab.Shrink{In: in, Out: absPath(dest), Quant: *to, Text: text, Threads: *threads}, os.Stderr, os.Stdout)
			var ue *lab.UsageError
			if errors.As(err, &ue) {
				return usagef("%s", ue.Reason)
			}
			if err == nil {
				fmt.Printf("\nUse the smaller copy with: carrel models use %s\n", absPath(dest))
			}
			return explain(err)
		},
	}
}

// libraryText is the text of a library's passages, in their documents'
// order, up to what a perplexity measure reads; "" when no library has
// any.
func libraryText(ctx context.Context, data, library string) (string, string, error) {
	e, err := openEngine(ctx, data, engine.Options{NoIndexing: true, NoWatch: true, NoChatModel: true})
	if err != nil {
		return "", "", err
	}
	defer e.Close()
	if library == "" {
		library = e.Settings().Library
	}
	if library == "" {
		libs, err := e.Libraries(ctx)
		if err != nil {
			return "", "", err
		}
		for _, l := range libs {
			if l.Documents > 0 {
				library = l.Name
				break
			}
		}
	}
	if library == "" {
		return "", "", nil
	}
	docs, err := e.Documents(ctx, library)
	if err != nil {
		return "", "", explain(err)
	}
	var b strings.Builder
	for _, d := range docs {
		ps, err := e.Passages(ctx, d.ID)
		if err != nil {
			continue // a document away on its server: the others serve
		}
		for _, p := range ps {
			b.WriteString(p.Text + "\n\n")
			if b.Len() > 64<<10 {
				return b.String(), library, nil
			}
		}
	}
	return b.String(), library, nil
}
