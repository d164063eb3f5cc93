package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/carrel-ai/carrel/engine"
)

func searchCmd() *command {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	var lf libraryFlags
	lf.register(fs)
	k := fs.Int("k", 5, "number of passages")
	mode := fs.String("mode", "", "lexical, vector or hybrid (default: hybrid with an embedding model, else lexical)")
	folder := fs.String("folder", "", "only documents below this `folder`")
	format := fs.String("format", "", "only documents of these formats, comma-separated (pdf,docx,…)")
	var docs stringList
	fs.Var(&docs, "doc", "only this document `file` (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	return &command{
		Name: "search", Usage: "QUERY [-k N] [--library NAME] [--json]",
		Short: "find the passages of a library that match a question, with their pages, headings and scores",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			query := strings.TrimSpace(strings.Join(args, " "))
			if query == "" {
				return usagef("give a query")
			}
			if *k < 1 || *k > 1000 {
				return usagef("-k must be between 1 and 1000")
			}
			e, err := openEngine(ctx, lf.data, engine.Options{NoIndexing: true, NoWatch: true, NoChatModel: true})
			if err != nil {
				return err
			}
			defer e.Close()
			o := engine.SearchOptions{Library: lf.library, K: *k, Mode: engine.SearchMode(*mode), Folder: *folder, Documents: docs}
			if *format != "" {
				o.Formats = strings.Split(*format, ",")
			}
			res, err := e.Search(ctx, query, o)
			if errors.Is(err, engine.ErrNoLibrary) {
				return fmt.Errorf("there is no library %q yet: add documents with \"carrel add\"", lf.library)
			}
			if err != nil {
				return err
			}
			if *asJSON {
				type hit struct {
					Path    string        `json:"path"`
					Title   string        `json:"title"`
					Page    int           `json:"page,omitempty"`
					Heading string        `json:"heading,omitempty"`
					Text    string        `json:"text"`
					Scores  engine.Scores `json:"scores"`
				}
				hits := []hit{}
				for _, h := range res.Hits {
					hits = append(hits, hit{h.Path, h.Title, h.Page, h.Heading, h.Text, h.Scores})
				}
				return json.NewEncoder(os.Stdout).Encode(map[string]any{
					"query": query, "mode": res.Mode, "search": e.SearchMethod(), "relevant": res.Relevant, "took_ms": float64(res.Took.Microseconds()) / 1000, "hits": hits,
				})
			}
			if len(res.Hits) == 0 {
				fmt.Println("Nothing in the library matches.")
				return nil
			}
			if !res.Relevant {
				fmt.Println("No passage answers this closely; these might be related:")
			}
			for i, h := range res.Hits {
				loc := h.Heading
				if h.Page > 0 {
					loc = fmt.Sprintf("page %d", h.Page)
				}
				fmt.Printf("\n%d. %s", i+1, h.Path)
				if loc != "" {
					fmt.Printf(" — %s", loc)
				}
				rr := ""
				if h.Scores.RerankRank > 0 {
					rr = fmt.Sprintf(" · reranked %.3f", h.Scores.Rerank)
				}
				fmt.Printf("\n   (fused %.4f · lexical %.2f #%d · vector %.3f #%d%s · %.0f%% of the query's words)\n", h.Scores.Fused, h.Scores.Lexical, h.Scores.LexicalRank, h.Scores.Vector, h.Scores.VectorRank, rr, h.Scores.Coverage*100)
				fmt.Printf("   %s\n", excerpt(h.Text, 400))
			}
			return nil
		},
	}
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], " ")
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return s[:cut] + " …"
}
