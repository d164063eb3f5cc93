package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/carrel-ai/carrel/engine"
)

// askFlags are the flags of the commands that answer from a library.
type askFlags struct {
	data, library, model, embedModel string
	server, serverModel              string
	lora                             string
	loraScale                        float64
	cpu                              bool
	threads, ctxSize, sources        int
	answerTokens                     int
}

// chatServerKeyEnv names the variable that holds a model server's API key
// for one command (kept out of the process list, unlike a flag).
const chatServerKeyEnv = "CARREL_CHAT_SERVER_KEY"

func (f *askFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.library, "library", "", "library `name` to answer from (default: every library)")
	f.registerModel(fs)
}

// registerModel registers the flags that choose and shape the model.
func (f *askFlags) registerModel(fs *flag.FlagSet) {
	dataFlagVar(fs, &f.data)
	fs.StringVar(&f.model, "model", "", "GGUF chat model `file` for this run (default: the chat model in the settings)")
	fs.StringVar(&f.server, "chat-server", "", "answer with the model of this OpenAI-compatible server `URL` (such as http://gpu.lab:8080/v1) for this run; its key comes from $CARREL_CHAT_SERVER_KEY or the settings")
	fs.StringVar(&f.serverModel, "chat-server-model", "", "the model `name` to ask the server for (default: the server's own)")
	fs.StringVar(&f.embedModel, "embed-model", "", "GGUF embedding model `file` the library was indexed with, or \"none\" for words only (default: the settings')")
	fs.StringVar(&f.lora, "lora", "", "LoRA adapter `file` (GGUF) for this run (default: the settings')")
	fs.Float64Var(&f.loraScale, "lora-scale", 0, "strength of the LoRA adapter (0: the settings', 1 by default)")
	fs.BoolVar(&f.cpu, "cpu", false, "run on the CPU even when a GPU is present")
	fs.IntVar(&f.threads, "threads", 0, "CPU threads (0: one per physical core)")
	fs.IntVar(&f.ctxSize, "ctx", 0, "context window in tokens (0: the model's, at most 8192)")
	fs.IntVar(&f.sources, "sources", 0, "passages an answer may draw on (0: the settings', 6 by default)")
	fs.IntVar(&f.answerTokens, "answer-tokens", 0, "longest answer in tokens (0: the settings', 512 by default)")
	fs.IntVar(&f.answerTokens, "n", 0, "the same as --answer-tokens")
}

// open opens the engine for answering: no indexing or watching, the
// settings of the data folder with the flags on top (not saved).
func (f *askFlags) open(ctx context.Context) (*engine.Engine, error) {
	data, s, err := f.settings()
	if err != nil {
		return nil, err
	}
	e, err := engine.Open(ctx, engine.Options{DataDir: data, NoIndexing: true, NoWatch: true, Settings: &s, LibraryServer: os.Getenv(libraryServerEnv)})
	if err != nil {
		return nil, explain(err)
	}
	return e, nil
}

// settings are the data folder's saved settings with the flags on top.
func (f *askFlags) settings() (data string, s engine.Settings, err error) {
	if f.threads < 0 || f.ctxSize < 0 || f.sources < 0 || f.answerTokens < 0 || f.loraScale < 0 {
		return "", s, usagef("--threads, --ctx, --sources, --answer-tokens and --lora-scale must be 0 or more")
	}
	if data, err = dataDir(f.data); err != nil {
		return "", s, err
	}
	// The saved settings come first; flags change them for this run.
	if s, err = engine.ReadSettings(data); err != nil {
		return "", s, err
	}
	if f.model != "" {
		s.ChatModel, s.ChatServer = f.model, "" // a file given for this run is used
	}
	if f.server != "" {
		s.ChatServer = f.server
	}
	if f.serverModel != "" {
		s.ChatServerModel = f.serverModel
	}
	if k := os.Getenv(chatServerKeyEnv); k != "" {
		s.ChatServerKey = k
	}
	if s.ChatServer != "" {
		if err := s.Validate(); err != nil {
			return "", s, usagef("%v", err)
		}
	}
	if f.embedModel != "" {
		s.EmbedModel = embedSetting(f.embedModel)
	}
	if f.lora != "" {
		s.Adapter = f.lora
	}
	if f.loraScale > 0 {
		s.AdapterScale = float32(f.loraScale)
	}
	if f.cpu {
		s.CPUOnly = true
	}
	if f.threads > 0 {
		s.Threads = f.threads
	}
	if f.ctxSize > 0 {
		s.ContextSize = f.ctxSize
	}
	if f.sources > 0 {
		s.Sources = f.sources
	}
	if f.answerTokens > 0 {
		s.AnswerTokens = f.answerTokens
	}
	if s.ChatModel != "" && s.ChatServer == "" && !engine.ModelSupport() {
		return "", s, explain(engine.ErrNoModelSupport)
	}
	return data, s, nil
}

func askCmd() *command {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	var af askFlags
	af.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object: the answer, whether it is grounded, its citations and timings")
	conv := fs.String("conversation", "", "continue the conversation with this `id`")
	ungrounded := fs.Bool("ungrounded", false, "let the model answer from its own knowledge (marked as not grounded in your documents)")
	var docs stringList
	fs.Var(&docs, "doc", "answer from this document `file` only (repeatable)")
	return &command{
		Name: "ask", Usage: "QUESTION [--library NAME] [--model FILE] [--json]",
		Short: "answer a question from your documents, citing file and page; says so when they do not hold the answer",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			question := strings.TrimSpace(strings.Join(args, " "))
			if question == "" {
				return usagef("give a question, e.g. carrel ask \"What did the report say about costs?\"")
			}
			e, err := af.open(ctx)
			if err != nil {
				return err
			}
			defer e.Close()
			if err := checkLibrary(ctx, e, af.library); err != nil {
				return err
			}
			var emit func(engine.Delta) error
			if !*asJSON {
				if e.ChatModel().State == engine.ModelLoading && isTerminal(os.Stderr) {
					fmt.Fprint(os.Stderr, "loading the model…")
					go func() {
						e.WaitModel(ctx)
						fmt.Fprint(os.Stderr, "\r\033[K")
					}()
				}
				emit = func(d engine.Delta) error {
					_, err := io.WriteString(os.Stdout, d.Text)
					return err
				}
			}
			a, err := e.Ask(ctx, question, engine.AskOptions{Library: af.library, Conversation: *conv, Ungrounded: *ungrounded, Documents: docs}, emit)
			if a == nil {
				return explain(err)
			}
			if *asJSON {
				if jerr := json.NewEncoder(os.Stdout).Encode(askJSON(a)); jerr != nil {
					return jerr
				}
			} else {
				fmt.Println()
				printSources(os.Stdout, a)
			}
			return err
		},
	}
}

// checkLibrary gives a clear message when the library to ask is missing
// or empty.
func checkLibrary(ctx context.Context, e *engine.Engine, name string) error {
	libs, err := e.Libraries(ctx)
	if err != nil {
		return err
	}
	found, docs, away := name == "", 0, ""
	for _, l := range libs {
		if name == "" || l.Name == name {
			found = true
			docs += l.Documents
			if l.Away != "" {
				away = fmt.Sprintf("library %q lives on %s, which could not be reached: %s", l.Name, l.Server, l.Away)
			}
		}
	}
	switch {
	case away != "" && (name != "" || docs == 0):
		return errors.New(away)
	case !found:
		return fmt.Errorf("there is no library %q: add documents to it with \"carrel add --library %q FILES\"", name, name)
	case docs == 0:
		return errors.New("the library is empty: add documents with \"carrel add FILES OR FOLDERS\"")
	}
	return nil
}

// askJSON is the answer as "carrel ask --json" prints it.
func askJSON(a *engine.Answer) map[string]any {
	cites := []map[string]any{}
	for _, c := range a.Citations {
		cites = append(cites, map[string]any{"n": c.N, "path": c.Path, "page": c.Page, "heading": c.Heading, "text": c.Text,
			"score": c.Score, "supported": c.Supported, "support": c.Support})
	}
	src := func(ss []engine.Source) []map[string]any {
		out := []map[string]any{}
		for _, s := range ss {
			out = append(out, map[string]any{"n": s.N, "path": s.Path, "page": s.Page, "heading": s.Heading, "text": s.Text, "score": s.Score, "scores": s.Scores})
		}
		return out
	}
	return map[string]any{
		"question": a.Question, "query": a.Query, "answer": a.Text, "grounded": a.Grounded, "outcome": a.Outcome,
		"citations": cites, "sources": src(a.Sources), "related": src(a.Related),
		"invalid_citations": a.InvalidCitations, "whole_document": a.WholeDocument,
		"preview":           a.Preview,
		"timings":           map[string]float64{"retrieve_ms": a.Timings.RetrieveMS, "preview_ms": a.Timings.PreviewMS, "first_token_ms": a.Timings.FirstTokenMS, "tokens_per_s": a.Timings.TokensPerS, "total_ms": a.Timings.TotalMS},
		"model":             a.Model,
		"library":           a.Library,
		"index_fresh_as_of": a.IndexedAt,
		"conversation":      a.Conversation,
		"stop":              a.Stop,
	}
}

// printSources prints what an answer rests on after its text.
func printSources(w io.Writer, a *engine.Answer) {
	if a.Model.Server != "" {
		// The question and its passages went to another machine: say so.
		fmt.Fprintf(w, "\n(Answered by %s on the model server %s.)\n", a.Model.Name, a.Model.Server)
	}
	switch a.Outcome {
	case engine.RetrievalOnly:
		fmt.Fprintln(w)
		for _, s := range a.Sources {
			fmt.Fprintf(w, "[%d] %s\n    %s\n", s.N, s.Locator(), excerpt(s.Text, 300))
		}
		fmt.Fprintln(w, "\nNo chat model is set, so these are passages only. To get answers: \"carrel models list\" shows the models on this computer and recommended downloads; \"carrel models use FILE\" (or --model FILE) sets one.")
		return
	case engine.NotFound:
		if len(a.Related) > 0 {
			fmt.Fprintln(w, "\nThese passages might be related:")
			for _, s := range a.Related {
				fmt.Fprintf(w, "  %s\n    %s\n", s.Locator(), excerpt(s.Text, 200))
			}
		}
		if a.Model.Name != "" {
			fmt.Fprintln(w, "\n(Ask again with --ungrounded to let the model answer from its own knowledge.)")
		}
		return
	case engine.Ungrounded:
		fmt.Fprintln(w, "\n(Not from your documents: the model answered from its own knowledge.)")
		return
	}
	cited := map[int]engine.Citation{}
	for _, c := range a.Citations {
		cited[c.N] = c
	}
	fmt.Fprintln(w, "\nSources:")
	for _, s := range a.Sources {
		mark := " "
		if _, ok := cited[s.N]; ok {
			mark = "•"
		}
		fmt.Fprintf(w, "%s [%d] %s\n", mark, s.N, s.Locator())
		if c, ok := cited[s.N]; ok && !c.Supported {
			fmt.Fprintf(w, "      ⚠ this passage shares few words with the sentence citing it: check it\n")
		}
	}
	if len(a.Citations) == 0 {
		fmt.Fprintln(w, "(The model cited none of its sources: check the answer against them.)")
	}
	if a.WholeDocument != "" {
		fmt.Fprintf(w, "(The whole of %s was given to the model.)\n", a.WholeDocument)
	}
	if !a.IndexedAt.IsZero() {
		fmt.Fprintf(w, "Index fresh as of %s.\n", a.IndexedAt.Local().Format("2006-01-02 15:04"))
	}
}
