package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carrel-ai/carrel/engine/failure"
)

// Options bound one parse. Zero values pick the defaults.
type Options struct {
	// Password opens an encrypted PDF.
	Password string
	// MaxBytes refuses larger files; 0 means 512 MiB.
	MaxBytes int64
	// MaxTextBytes truncates the extracted text; 0 means 64 MiB.
	MaxTextBytes int
	// MaxPages reads at most this many PDF pages; 0 means 10,000.
	MaxPages int
	// Timeout bounds the parse; 0 means 2 minutes. Pages read by OCR
	// have their own limit each, in the recogniser.
	Timeout time.Duration
	// OCR reads pages with no text layer and pictures; nil means they are
	// reported as scanned (failure.ErrScanned when that is all a file holds).
	OCR Recognizer
	// OCRDPI is the resolution PDF pages are drawn at for OCR; 0 means
	// DefaultOCRDPI.
	OCRDPI int
	// OCRProgress, if not nil, is told before each page OCR reads.
	OCRProgress PageProgress
	// OCRPages is how many pages of a scan OCR reads at once, each in a
	// recogniser of its own on a core of its own; 0 means one per CPU, at
	// most 4.
	OCRPages int
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 512 << 20
	}
	if o.MaxTextBytes <= 0 {
		o.MaxTextBytes = 64 << 20
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 10000
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.OCRDPI <= 0 {
		o.OCRDPI = DefaultOCRDPI
	}
	if o.OCRPages <= 0 {
		o.OCRPages = min(runtime.NumCPU(), 4)
	}
	return o
}

// Per-format input limits, under Options.MaxBytes.
const (
	textFormatLimit = 64 << 20  // HTML, RTF, text, Markdown, CSV, code
	pdfFileLimit    = 200 << 20 // must fit in the PDF engine's 256 MiB sandbox
)

// Parser parses documents. It owns the PDF engine, which is expensive to
// start, so one Parser should serve a whole program. It is safe for
// concurrent use.
type Parser struct {
	pdf *pdfEngine
}

// NewParser returns a Parser. cacheDir, if not empty, keeps the compiled
// PDF engine between runs (a cold start compiles it in seconds; a warm one
// loads it in a fraction of a second).
func NewParser(cacheDir string) *Parser {
	return &Parser{pdf: &pdfEngine{cacheDir: cacheDir}}
}

// Warm starts the PDF engine now, so the first PDF does not wait for it.
// Call it in the background at start-up.
func (p *Parser) Warm() error { return p.pdf.start() }

// Close releases the PDF engine.
func (p *Parser) Close() error { return p.pdf.close() }

// Parse reads the file at path. Its errors are *ParseError values (see
// KindOf), or ctx.Err() when ctx is cancelled.
func (p *Parser) Parse(ctx context.Context, path string, opts Options) (*Document, error) {
	data, err := ReadFile(path, opts)
	if err != nil {
		return nil, err
	}
	return p.ParseBytes(ctx, path, data, opts)
}

// ReadFile reads a document within the size limit of opts: a pipe or a
// device is refused without being opened (see Check), and a file over the
// limit is refused before it is read into memory.
func ReadFile(path string, opts Options) ([]byte, error) {
	opts = opts.withDefaults()
	fail := func(err error, detail string) error {
		return &ParseError{Path: path, Err: err, Detail: detail}
	}
	st, err := Check(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > opts.MaxBytes {
		return nil, fail(failure.ErrTooLarge, fmt.Sprintf("%d MiB is over the limit of %d MiB", st.Size()>>20, opts.MaxBytes>>20))
	}
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, fail(failure.ErrUnreadable, describeStatError(err))
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fail(failure.ErrUnreadable, "it is not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, opts.MaxBytes+1))
	if err != nil {
		return nil, fail(failure.ErrUnreadable, describeStatError(err))
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, fail(failure.ErrTooLarge, fmt.Sprintf("it grew over the limit of %d MiB while being read", opts.MaxBytes>>20))
	}
	return data, nil
}

// Check says whether path is a file Carrel can read, before anything
// opens it: a missing file, a folder, a pipe, a device or a socket (which
// would block a reader forever), a link loop or a file without permission
// gives a *ParseError wrapping failure.ErrUnreadable (a folder: failure.ErrUnsupported).
func Check(path string) (fs.FileInfo, error) {
	fail := func(err error, detail string) error {
		return &ParseError{Path: path, Err: err, Detail: detail}
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail(failure.ErrUnreadable, "the file does not exist")
	case errors.Is(err, fs.ErrPermission):
		return nil, fail(failure.ErrUnreadable, "permission to read it is denied")
	case err != nil:
		return nil, fail(failure.ErrUnreadable, describeStatError(err))
	case st.IsDir():
		return nil, fail(failure.ErrUnsupported, "it is a folder")
	case !st.Mode().IsRegular():
		return nil, fail(failure.ErrUnreadable, "it is not a regular file (a pipe, device or socket)")
	}
	return st, nil
}

// describeStatError says in words why a path could not be looked at.
func describeStatError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error() // "too many levels of symbolic links", …
	}
	return err.Error()
}

// ParseBytes parses a file's content; name gives its path for messages and
// its extension for choosing among text formats.
func (p *Parser) ParseBytes(ctx context.Context, name string, data []byte, opts Options) (doc *Document, err error) {
	opts = opts.withDefaults()
	if len(data) == 0 {
		return nil, &ParseError{Path: name, Err: failure.ErrNoText, Detail: "the file is empty"}
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, &ParseError{Path: name, Err: failure.ErrTooLarge, Detail: fmt.Sprintf("over the limit of %d MiB", opts.MaxBytes>>20)}
	}
	det, err := safeDetect(name, data)
	if err != nil {
		return nil, err
	}
	if det.Format == "" {
		kind := failure.ErrUnsupported
		if det.Damaged {
			kind = failure.ErrCorrupt
		}
		return nil, &ParseError{Path: name, Err: kind, Detail: det.Reason}
	}
	// Formats parsed into trees in Go memory get a lower cap than the
	// sandboxed PDF engine and the zip formats (whose members have their own).
	if limit := int64(textFormatLimit); det.Format != PDF && det.Format != DOCX && det.Format != ODT && det.Format != EPUB && det.Format != Image && int64(len(data)) > limit && opts.MaxBytes > limit {
		return nil, &ParseError{Path: name, Format: det.Format, Err: failure.ErrTooLarge, Detail: fmt.Sprintf("%d MiB of %s is over the limit of %d MiB", len(data)>>20, det.Format, limit>>20)}
	}
	if (det.Format == PDF || det.Format == Image) && int64(len(data)) > pdfFileLimit {
		return nil, &ParseError{Path: name, Format: det.Format, Err: failure.ErrTooLarge, Detail: fmt.Sprintf("%d MiB is over the PDF limit of %d MiB", len(data)>>20, pdfFileLimit>>20)}
	}
	if det.Encrypted {
		return nil, &ParseError{Path: name, Format: det.Format, Err: failure.ErrEncrypted, Detail: "it is password-protected; Carrel opens password-protected PDFs only"}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	type result struct {
		doc *Document
		err error
	}
	done := make(chan result, 1)
	go func() {
		d := &Document{Path: name, Format: det.Format}
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: &ParseError{Path: name, Format: det.Format, Err: failure.ErrCorrupt,
					Detail: fmt.Sprintf("the parser failed on it (%v)", r)}}
			}
		}()
		err := p.parseFormat(ctx, d, data, opts)
		done <- result{d, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// A parser that ignores ctx is abandoned; its result is dropped.
		r = result{err: ctx.Err()}
	}
	if r.err == nil {
		r.err = p.safeOCR(parent, r.doc, data, opts)
	}
	if r.err != nil {
		return nil, wrapErr(r.err, name, det.Format, ctx)
	}
	finish(r.doc, opts)
	if len(r.doc.Blocks) == 0 {
		return nil, &ParseError{Path: name, Format: det.Format, Err: failure.ErrNoText, Detail: "it contains no text to index"}
	}
	return r.doc, nil
}

// wrapErr gives every failure the ParseError form.
func wrapErr(err error, name string, f Format, ctx context.Context) error {
	var pe *ParseError
	switch {
	case errors.As(err, &pe):
		pe.Path, pe.Format = name, f
		return pe
	case errors.Is(err, context.DeadlineExceeded) || (ctx.Err() == context.DeadlineExceeded):
		return &ParseError{Path: name, Format: f, Err: failure.ErrTimeout, Detail: "it was stopped at the time limit"}
	case errors.Is(err, context.Canceled):
		return err
	}
	return &ParseError{Path: name, Format: f, Err: failure.ErrCorrupt, Detail: err.Error()}
}

func (p *Parser) parseFormat(ctx context.Context, d *Document, data []byte, opts Options) error {
	switch d.Format {
	case PDF:
		return p.pdf.parse(ctx, d, data, opts.Password, opts.MaxPages)
	case DOCX:
		return parseDOCX(ctx, d, data)
	case ODT:
		return parseODT(ctx, d, data)
	case EPUB:
		return parseEPUB(ctx, d, data)
	case HTML:
		return parseHTML(ctx, d, data)
	case RTF:
		return parseRTF(ctx, d, data)
	case Markdown:
		text, _ := decodeText(data, "")
		return parseMarkdown(ctx, d, text)
	case CSV:
		return parseCSV(ctx, d, data)
	case Code, Text:
		return parseText(ctx, d, data)
	case Image:
		return parseImage(d, data)
	}
	return &ParseError{Err: failure.ErrUnsupported, Detail: string(d.Format)}
}

// safeOCR runs the OCR stage with panic recovery: it decodes untrusted
// pictures.
func (p *Parser) safeOCR(ctx context.Context, d *Document, data []byte, opts Options) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ParseError{Err: failure.ErrCorrupt, Detail: fmt.Sprintf("reading its scanned pages failed (%v)", r)}
		}
	}()
	return p.ocrStage(ctx, d, data, opts)
}

// finish normalises blocks, enforces the text limit, and fills in the
// title and language.
func finish(d *Document, opts Options) {
	out := d.Blocks[:0]
	total := 0
	for _, b := range d.Blocks {
		text := strings.TrimSpace(strings.ToValidUTF8(b.Text, "\uFFFD"))
		if b.Chars != nil && text != b.Text {
			b.Chars = trimChars(b.Text, text, b.Chars)
		}
		b.Text = text
		if b.Text == "" {
			continue
		}
		if total+len(b.Text) > opts.MaxTextBytes {
			d.warnf("the text was cut at %d MiB", opts.MaxTextBytes>>20)
			break
		}
		total += len(b.Text)
		out = append(out, b)
	}
	d.Blocks = out
	if d.Title == "" {
		for _, b := range d.Blocks {
			if b.Kind == "heading" {
				d.Title = b.Text
				break
			}
		}
	}
	if d.Title == "" || !utf8.ValidString(d.Title) {
		d.Title = strings.TrimSuffix(filepath.Base(d.Path), filepath.Ext(d.Path))
	}
	if d.Language == "" {
		d.Language = detectLanguage(d)
	}
}

// safeDetect runs Detect with panic recovery: detection already reads
// untrusted zip directories.
func safeDetect(name string, data []byte) (det Detection, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ParseError{Path: name, Err: failure.ErrCorrupt, Detail: fmt.Sprintf("its structure cannot be read (%v)", r)}
		}
	}()
	return Detect(name, data[:min(len(data), 8192)], bytes.NewReader(data), int64(len(data))), nil
}

// trimChars keeps a block's character indices in step with its text when
// finish trims white space from it (the text is valid UTF-8 already: PDF
// blocks are built from runes).
func trimChars(old, trimmed string, chars []int32) []int32 {
	lead := strings.Index(old, trimmed)
	if lead < 0 || utf8.RuneCountInString(old) != len(chars) {
		return nil // not a plain trim: no exact positions rather than wrong ones
	}
	from := utf8.RuneCountInString(old[:lead])
	return chars[from : from+utf8.RuneCountInString(trimmed)]
}
