package engine

import (
	"context"
	"path/filepath"
	"time"

	"github.com/carrel-ai/carrel/engine/chunk"
	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/passage"
)

// ExtractOptions read one file outside a library; zero values pick the
// defaults.
type ExtractOptions struct {
	// DataDir keeps the PDF engine's compiled code between runs; ""
	// means DefaultDataDir().
	DataDir string
	// Password opens an encrypted PDF; it is used once and not stored.
	Password string
	// Timeout bounds the parse; 0 means 2 minutes.
	Timeout time.Duration
}

// Extracted is a file's text as Carrel reads it: its blocks in reading
// order with their pages and headings, and what was skipped or repaired.
type Extracted struct {
	Path     string
	Format   string
	Title    string
	Language string
	Pages    int
	Blocks   []Block
	Warnings []string
	doc      *docs.Document
}

// Block is a run of text with one place: a paragraph, a table, a page.
type Block struct {
	Text    string
	Page    int    // 1-based page in paged formats, else 0
	Heading string // the path of headings above it
	Kind    string // paragraph, heading, table, list, note, code
}

// Extract reads one file with the parser, limits and OCR (as the data
// folder's settings say) that indexing uses. A file that cannot be read
// gives an error that matches one of ErrEncrypted, ErrCorrupt,
// ErrUnsupported, ErrNoText, ErrScanned, ErrTooLarge or ErrTimeout.
func Extract(ctx context.Context, path string, o ExtractOptions) (*Extracted, error) {
	dir := o.DataDir
	if dir == "" {
		dir, _ = DefaultDataDir()
	}
	cache := ""
	if dir != "" {
		cache = filepath.Join(dir, "cache", "pdfium")
	}
	p := docs.NewParser(cache)
	defer p.Close()
	opts := docs.Options{Password: o.Password, Timeout: o.Timeout}
	set, err := ReadSettings(dir)
	if err != nil || dir == "" {
		set = DefaultSettings()
	}
	if rec := newOCR(set); rec != nil {
		opts.OCR = rec
	}
	doc, err := p.Parse(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	x := &Extracted{Path: doc.Path, Format: string(doc.Format), Title: doc.Title, Language: doc.Language, Pages: doc.Pages, Warnings: doc.Warnings, doc: doc}
	for _, b := range doc.Blocks {
		x.Blocks = append(x.Blocks, Block{Text: b.Text, Page: b.Page, Heading: b.Heading, Kind: b.Kind})
	}
	return x, nil
}

// PassagePreview is a passage a document would be cut into, with its
// exact place.
type PassagePreview struct {
	Index   int    `json:"index"`
	Text    string `json:"text"`
	Page    int    `json:"page,omitempty"`
	Heading string `json:"heading,omitempty"`
	Tokens  int    `json:"tokens"`
	// Place is where it stands: its section, offsets and characters.
	passage.Place
	// DuplicateOf is the index of an earlier passage with nearly the same
	// text (not indexed again), or -1.
	DuplicateOf int `json:"duplicate_of"`
}

// Passages cuts the document as indexing would, into passages of about
// size tokens (0: the settings' default) sharing overlap tokens with the
// one before (0: 15% of the size, -1: none), estimated without a model's
// tokenizer.
func (x *Extracted) Passages(size, overlap int) []PassagePreview {
	var out []PassagePreview
	for _, c := range chunk.Split(x.doc, chunk.Options{Size: size, Overlap: overlap}) {
		out = append(out, PassagePreview{Index: c.Index, Text: c.Text, Page: c.Page, Heading: c.Heading, Tokens: c.Tokens,
			Place: c.Place, DuplicateOf: c.DuplicateOf})
	}
	return out
}
