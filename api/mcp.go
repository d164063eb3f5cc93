package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/carrel-ai/carrel/engine"
)

// The MCP tools' inputs and outputs. Their JSON Schemas are inferred from
// these types; the descriptions are what an assistant reads.
type (
	SearchInput struct {
		Query   string `json:"query" jsonschema:"what to look for, in words or as a question"`
		Library string `json:"library,omitempty" jsonschema:"library to search; empty searches the default library"`
		K       int    `json:"k,omitempty" jsonschema:"how many passages (1 to 50, default 8)"`
	}
	SearchOutput struct {
		// Relevant is false when no passage matches closely: the library
		// probably does not hold the answer.
		Relevant bool      `json:"relevant"`
		Passages []Passage `json:"passages"`
	}
	// Passage is a passage of a document with its place and scores.
	Passage struct {
		DocID   int64   `json:"doc_id"`
		ChunkID int64   `json:"chunk_id"`
		Path    string  `json:"path"`
		Title   string  `json:"title,omitempty"`
		Page    int     `json:"page,omitempty"`
		Heading string  `json:"heading,omitempty"`
		Text    string  `json:"text"`
		Score   float64 `json:"score"`
		Lexical float64 `json:"lexical"`
		Vector  float64 `json:"vector"`
	}
	AskInput struct {
		Question string `json:"question" jsonschema:"the question to answer from the documents"`
		Library  string `json:"library,omitempty" jsonschema:"library to answer from; empty uses the default library"`
	}
	AskOutput struct {
		Answer string `json:"answer"`
		Grounding
	}
	LibrariesInput  struct{}
	LibrariesOutput struct {
		Libraries []LibraryInfo `json:"libraries"`
	}
	LibraryInfo struct {
		Name      string   `json:"name"`
		Documents int      `json:"documents"`
		Passages  int      `json:"passages"`
		Sources   []string `json:"sources"`
		// Server is the team server the library lives on (without its
		// password); empty for this computer's. Away says why that server
		// could not be reached.
		Server string `json:"server,omitempty"`
		Away   string `json:"away,omitempty"`
	}
	DocumentsInput struct {
		Library string `json:"library,omitempty" jsonschema:"library to list; empty lists every library's documents"`
	}
	DocumentsOutput struct {
		Documents []DocumentInfo `json:"documents"`
	}
	DocumentInfo struct {
		ID       int64  `json:"id"`
		Path     string `json:"path"`
		Title    string `json:"title,omitempty"`
		Format   string `json:"format"`
		Status   string `json:"status"`
		Passages int    `json:"passages"`
		Pages    int    `json:"pages,omitempty"`
		Error    string `json:"error,omitempty"`
	}
	PassageInput struct {
		DocID   int64 `json:"doc_id" jsonschema:"the document's id, from search_library or list_documents"`
		ChunkID int64 `json:"chunk_id,omitempty" jsonschema:"the passage's id, from search_library; 0 with page reads a whole page"`
		Page    int   `json:"page,omitempty" jsonschema:"a page to read whole, when chunk_id is 0"`
		Around  int   `json:"around,omitempty" jsonschema:"passages of context on each side of chunk_id (0 to 3, default 1)"`
	}
	PassageOutput struct {
		Path     string    `json:"path"`
		Passages []Passage `json:"passages"`
	}
)

// NewMCP makes the MCP server of Carrel's tools over eng: search_library,
// ask_library, list_libraries, list_documents and get_passage. library is
// the default library ("" for the settings').
func NewMCP(eng Engine, library, version string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "carrel", Title: "Carrel", Version: version}, &mcp.ServerOptions{
		Instructions: "Carrel searches and cites the documents of the person's private library on this computer. " +
			"Use search_library to find passages, ask_library for a cited answer, get_passage to read around a passage.",
	})
	lib := func(l string) string {
		if l != "" {
			return l
		}
		if library != "" {
			return library
		}
		return eng.Settings().Library
	}
	mcp.AddTool(s, &mcp.Tool{Name: "search_library", Description: "Find the passages of the person's documents that best match a query, with file, page or heading, and scores."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in SearchInput) (*mcp.CallToolResult, SearchOutput, error) {
			if strings.TrimSpace(in.Query) == "" {
				return nil, SearchOutput{}, fmt.Errorf("query is empty")
			}
			k := in.K
			if k <= 0 {
				k = 8
			}
			res, err := eng.Search(ctx, in.Query, engine.SearchOptions{Library: lib(in.Library), K: min(k, 50)})
			if err != nil {
				return nil, SearchOutput{}, fmt.Errorf("%s", engine.Describe(err))
			}
			out := SearchOutput{Relevant: res.Relevant, Passages: []Passage{}}
			for _, h := range res.Hits {
				out.Passages = append(out.Passages, passageOf(h))
			}
			return nil, out, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "ask_library", Description: "Answer a question from the person's documents with numbered citations (file, page, passage), or say that the documents do not hold the answer."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in AskInput) (*mcp.CallToolResult, AskOutput, error) {
			a, err := eng.Ask(ctx, in.Question, engine.AskOptions{Library: lib(in.Library), NoSave: true}, nil)
			if a == nil || err != nil {
				return nil, AskOutput{}, fmt.Errorf("%s", engine.Describe(err))
			}
			return nil, AskOutput{Answer: a.Text, Grounding: groundingOf(a)}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "list_libraries", Description: "The person's libraries with their document and passage counts."},
		func(ctx context.Context, _ *mcp.CallToolRequest, _ LibrariesInput) (*mcp.CallToolResult, LibrariesOutput, error) {
			libs, err := eng.Libraries(ctx)
			if err != nil {
				return nil, LibrariesOutput{}, fmt.Errorf("%s", engine.Describe(err))
			}
			out := LibrariesOutput{Libraries: []LibraryInfo{}}
			for _, l := range libs {
				out.Libraries = append(out.Libraries, LibraryInfo{Name: l.Name, Documents: l.Documents, Passages: l.Chunks, Sources: append([]string{}, l.Sources...),
					Server: l.Server, Away: l.Away})
			}
			return nil, out, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "list_documents", Description: "The documents of a library with their status (ready, failed with the reason, waiting)."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in DocumentsInput) (*mcp.CallToolResult, DocumentsOutput, error) {
			ds, err := eng.Documents(ctx, in.Library)
			if err != nil {
				return nil, DocumentsOutput{}, fmt.Errorf("%s", engine.Describe(err))
			}
			out := DocumentsOutput{Documents: []DocumentInfo{}}
			for _, d := range ds {
				out.Documents = append(out.Documents, DocumentInfo{ID: d.ID, Path: d.Path, Title: d.Title, Format: d.Format, Status: string(d.Status), Passages: d.Chunks, Pages: d.Pages, Error: d.Error})
			}
			return nil, out, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "get_passage", Description: "The exact text of a passage with the passages around it, or of a whole page, to read a citation in context."},
		func(ctx context.Context, _ *mcp.CallToolRequest, in PassageInput) (*mcp.CallToolResult, PassageOutput, error) {
			ps, err := eng.Passages(ctx, in.DocID)
			if err != nil {
				return nil, PassageOutput{}, fmt.Errorf("%s", engine.Describe(err))
			}
			around := in.Around
			if around <= 0 {
				around = 1
			}
			around = min(around, 3)
			out := PassageOutput{Passages: []Passage{}}
			for i, p := range ps {
				out.Path = p.Path
				keep := false
				switch {
				case in.ChunkID != 0:
					for j := max(0, i-around); j <= min(len(ps)-1, i+around); j++ {
						keep = keep || ps[j].ChunkID == in.ChunkID
					}
				case in.Page > 0:
					keep = p.Page == in.Page
				}
				if keep {
					out.Passages = append(out.Passages, passageOf(p))
				}
			}
			if len(out.Passages) == 0 {
				return nil, out, fmt.Errorf("no such passage or page in document %d", in.DocID)
			}
			return nil, out, nil
		})
	return s
}

func passageOf(h engine.Hit) Passage {
	return Passage{DocID: h.DocID, ChunkID: h.ChunkID, Path: h.Path, Title: h.Title, Page: h.Page, Heading: h.Heading, Text: h.Text,
		Score: h.Scores.Fused, Lexical: h.Scores.Lexical, Vector: h.Scores.Vector}
}

// mcpHandler serves MCP over the streamable HTTP transport at /mcp.
func (s *Server) mcpHandler() http.Handler {
	srv := NewMCP(s.eng, s.opts.Library, s.opts.Version)
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil)
}
