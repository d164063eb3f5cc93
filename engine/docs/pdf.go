package docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/carrel-ai/carrel/internal/private"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdferr "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/text/unicode/norm"
)

// pdfMemoryPages caps PDFium's WebAssembly memory: 4096 pages of 64 KiB,
// 256 MiB. A decompression bomb fails inside the sandbox instead of taking
// the machine's memory.
const pdfMemoryPages = 4096

// pdfEngine is PDFium compiled to WebAssembly, run by wazero: pure Go, no
// cgo, sandboxed memory. Compiling the 5.8 MB module takes seconds, so the
// compiled code is cached on disk and the pool is started once.
type pdfEngine struct {
	once     sync.Once
	cacheDir string
	err      error

	mu     sync.Mutex // pool and cache, which Close may read while a start runs
	pool   pdfium.Pool
	cache  wazero.CompilationCache
	closed bool
}

func (e *pdfEngine) start() error {
	e.once.Do(func() {
		pool, cache, err := e.open()
		if err != nil && e.cacheDir != "" {
			// A damaged compilation cache (a file truncated by a crash or
			// a full disk) must not break every PDF: discard it and
			// compile afresh.
			os.RemoveAll(e.cacheDir)
			pool, cache, err = e.open()
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		switch {
		case err != nil:
			e.err = fmt.Errorf("docs: starting the PDF engine: %w", err)
		case e.closed: // closed while starting
			pool.Close()
			e.err = errors.New("docs: the parser is closed")
		default:
			e.pool = pool
		}
		if e.err != nil && cache != nil {
			cache.Close(context.Background())
			return
		}
		e.cache = cache
	})
	return e.err
}

// open starts a pool of PDFium instances, with the compilation cache in
// cacheDir when there is one, and checks that an instance can be made
// (which compiles the module, or loads it from the cache).
func (e *pdfEngine) open() (pdfium.Pool, wazero.CompilationCache, error) {
	rc := wazero.NewRuntimeConfig().
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithMemoryLimitPages(pdfMemoryPages)
	var cache wazero.CompilationCache
	if e.cacheDir != "" {
		if err := private.Dir(e.cacheDir); err == nil {
			if c, err := wazero.NewCompilationCacheWithDir(e.cacheDir); err == nil {
				cache = c
				rc = rc.WithCompilationCache(c)
			}
		}
	}
	pool, err := webassembly.Init(webassembly.Config{
		MinIdle: 0, MaxIdle: 1, MaxTotal: 4,
		RuntimeConfig: rc,
		FSConfig:      wazero.NewFSConfig(), // no file system: documents come in as bytes
		Stdout:        io.Discard,
		Stderr:        io.Discard,
	})
	if err == nil {
		var inst pdfium.Pdfium
		if inst, err = pool.GetInstance(2 * time.Minute); err == nil {
			inst.Close() // back to the pool, ready for the first document
		} else {
			pool.Close()
		}
	}
	if err != nil {
		if cache != nil {
			cache.Close(context.Background())
		}
		return nil, nil, err
	}
	return pool, cache, nil
}

func (e *pdfEngine) close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	var err error
	if e.pool != nil {
		err = e.pool.Close()
		e.pool = nil
	}
	if e.cache != nil {
		e.cache.Close(context.Background())
		e.cache = nil
	}
	return err
}

// instance takes a PDFium instance from the pool.
func (e *pdfEngine) instance(ctx context.Context) (pdfium.Pdfium, error) {
	e.mu.Lock()
	pool := e.pool
	e.mu.Unlock()
	if pool == nil {
		return nil, errors.New("docs: the parser is closed")
	}
	return pool.GetInstanceWithContext(ctx)
}

// parse extracts the text of every page, once the file's compressed
// streams are known to inflate within the budget. ctx bounds the whole
// parse: a watcher kills the PDFium instance when it ends, and work stops
// at the next call.
func (e *pdfEngine) parse(ctx context.Context, doc *Document, data []byte, password string, maxPages int) error {
	if err := pdfInflateBudget.check(ctx, data); err != nil {
		return err
	}
	return e.withDocument(ctx, data, password, func(inst pdfium.Pdfium, opened references.FPDF_DOCUMENT) error {
		return readPages(ctx, inst, opened, doc, maxPages)
	})
}

// withDocument opens data in a PDFium instance from the pool and runs fn
// on it. ctx bounds it all: a watcher kills the instance when ctx ends,
// so a hostile file cannot hold it, and work stops at the next call.
func (e *pdfEngine) withDocument(ctx context.Context, data []byte, password string, fn func(pdfium.Pdfium, references.FPDF_DOCUMENT) error) error {
	if err := e.start(); err != nil {
		return &ParseError{Err: failure.ErrEngine, Detail: err.Error()}
	}
	inst, err := e.instance(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ParseError{Err: failure.ErrEngine, Detail: err.Error()}
	}
	var killed sync.Once
	stop := context.AfterFunc(ctx, func() { killed.Do(func() { inst.Kill() }) })
	defer func() {
		if stop() {
			inst.Close()
		}
	}()
	opened, err := openPDF(ctx, inst, data, password)
	if err != nil {
		return err
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: opened})
	return fn(inst, opened)
}

// readPages extracts the title and the text of every page of an open PDF.
func readPages(ctx context.Context, inst pdfium.Pdfium, opened references.FPDF_DOCUMENT, doc *Document, maxPages int) error {
	if t, err := inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: opened, Tag: "Title"}); err == nil {
		doc.Title = strings.TrimSpace(t.Value)
	}
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: opened})
	if err != nil {
		return &ParseError{Err: failure.ErrCorrupt, Detail: "its page tree cannot be read"}
	}
	doc.Pages = pc.PageCount
	n := pc.PageCount
	if maxPages > 0 && n > maxPages {
		doc.warnf("only the first %d of %d pages were read", maxPages, n)
		n = maxPages
	}
	pages := make([]tline, n)
	var scanned []int
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		page := requests.Page{ByIndex: &requests.PageByIndex{Document: opened, Index: i}}
		text, err := pageText(inst, page)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			doc.warnf("page %d could not be read: %v", i+1, err)
			continue
		}
		switch {
		case strings.TrimSpace(string(text.r)) == "" && hasImages(inst, page):
			scanned = append(scanned, i+1)
		case unusable(text.r):
			// Fonts without a Unicode map give text that is no text:
			// the page is read from its picture instead.
			doc.warnf("page %d has text that cannot be decoded; it is read by OCR", i+1)
			scanned = append(scanned, i+1)
			continue
		}
		pages[i] = text
	}
	pdfBlocks(doc, pages)
	doc.scanned = scanned
	return nil
}

// unusable reports whether a page's text is mostly characters that carry
// no text: replacement characters, private-use code points and controls,
// or the runs of punctuation that raw character codes read as (see
// isGarbled). Fonts without a Unicode map produce them; such a page is
// read from its picture instead.
func unusable(rs []rune) bool {
	bad, all := 0, 0
	for _, r := range rs {
		if unicode.IsSpace(r) {
			continue
		}
		all++
		if r == unicode.ReplacementChar || (r >= 0xE000 && r <= 0xF8FF) || unicode.IsControl(r) {
			bad++
		}
	}
	return all >= 20 && (bad*10 > all*3 || isGarbled(string(rs)))
}

// openPDF opens a PDF in a PDFium instance, trying the password's
// Unicode forms; its errors are ParseErrors in plain words.
func openPDF(ctx context.Context, inst pdfium.Pdfium, data []byte, password string) (references.FPDF_DOCUMENT, error) {
	var opened references.FPDF_DOCUMENT
	var openErr error
	for _, pw := range passwordForms(password) {
		req := &requests.OpenDocument{File: &data}
		if pw != "" || password != "" {
			p := pw
			req.Password = &p
		}
		res, err := inst.OpenDocument(req)
		if err == nil {
			opened, openErr = res.Document, nil
			break
		}
		openErr = err
		if !errors.Is(err, pdferr.ErrPassword) {
			break
		}
	}
	if openErr != nil {
		if ctx.Err() != nil {
			return opened, ctx.Err()
		}
		switch {
		case errors.Is(openErr, pdferr.ErrPassword):
			if password == "" {
				return opened, &ParseError{Err: failure.ErrEncrypted, Detail: "a password is needed to open it"}
			}
			return opened, &ParseError{Err: failure.ErrWrongPassword}
		case errors.Is(openErr, pdferr.ErrSecurity):
			return opened, &ParseError{Err: failure.ErrEncrypted, Detail: "it uses an encryption method that cannot be opened"}
		}
		return opened, &ParseError{Err: failure.ErrCorrupt, Detail: "PDFium cannot open it (" + openErr.Error() + ")"}
	}
	return opened, nil
}

// hasImages reports whether a page holds image objects.
func hasImages(inst pdfium.Pdfium, page requests.Page) bool {
	c, err := inst.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{Page: page})
	if err != nil {
		return false
	}
	for j := 0; j < min(c.Count, 256); j++ {
		o, err := inst.FPDFPage_GetObject(&requests.FPDFPage_GetObject{Page: page, Index: j})
		if err != nil {
			continue
		}
		if t, err := inst.FPDFPageObj_GetType(&requests.FPDFPageObj_GetType{PageObject: o.PageObject}); err == nil && t.Type == enums.FPDF_PAGEOBJ_IMAGE {
			return true
		}
	}
	return false
}

// passwordForms lists the forms of a password to try: as typed, then
// normalised as SASLprep would (NFKC), which AES-256 (revision 6) files
// require and PDFium does not do itself; and NFC/NFD for older files.
func passwordForms(pw string) []string {
	forms := []string{pw}
	for _, f := range []norm.Form{norm.NFKC, norm.NFC, norm.NFD} {
		v := f.String(pw)
		dup := false
		for _, x := range forms {
			dup = dup || x == v
		}
		if !dup {
			forms = append(forms, v)
		}
	}
	return forms
}

var pageNumber = regexp.MustCompile(`(?i)^(page\s*)?[-–—(]?\s*([0-9]{1,4}|[ivxlcdm]{1,7})\s*[-–—)]?(\s*(of|/)\s*[0-9]{1,4})?$`)

// dropRepeated removes lines that repeat at the top or bottom of many pages
// (running headers and footers, digits ignored) and lone page numbers.
func dropRepeated(pages [][]string) {
	if len(pages) >= 3 {
		count := map[string]int{}
		// The two first and two last lines of a page, when short, are
		// where running headers and footers live.
		edges := func(ls []string) []int {
			var idx []int
			nonEmpty := 0
			for i := 0; i < len(ls) && nonEmpty < 2; i++ {
				if ls[i] != "" {
					if len([]rune(ls[i])) <= 80 {
						idx = append(idx, i)
					}
					nonEmpty++
				}
			}
			nonEmpty = 0
			for i := len(ls) - 1; i >= 0 && nonEmpty < 2; i-- {
				if ls[i] != "" {
					if len([]rune(ls[i])) <= 80 {
						idx = append(idx, i)
					}
					nonEmpty++
				}
			}
			return idx
		}
		for _, ls := range pages {
			seen := map[string]bool{}
			for _, i := range edges(ls) {
				k := digitless(ls[i])
				if !seen[k] {
					seen[k] = true
					count[k]++
				}
			}
		}
		for _, ls := range pages {
			drop := map[int]bool{} // a short page's lines are both first and last
			for _, i := range edges(ls) {
				if k := digitless(ls[i]); len(k) > 0 && count[k]*2 >= len(pages) {
					drop[i] = true
				}
			}
			// A header never takes a page's only text: what repeats on a
			// page that holds nothing else is the page's content (a slide
			// deck's title, a form's repeated sentence).
			if len(drop) == nonEmptyLines(ls) {
				continue
			}
			for i := range drop {
				ls[i] = ""
			}
		}
	}
	for _, ls := range pages {
		for i, l := range ls {
			if pageNumber.MatchString(l) && (i < 3 || i >= len(ls)-3) {
				ls[i] = ""
			}
		}
	}
}

func nonEmptyLines(ls []string) int {
	n := 0
	for _, l := range ls {
		if l != "" {
			n++
		}
	}
	return n
}

func digitless(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return '#'
		}
		return r
	}, s)
}

func endsWithLetterHyphen(s string) bool {
	r := []rune(s)
	return len(r) >= 2 && r[len(r)-1] == '-' && unicode.IsLetter(r[len(r)-2])
}

func startsLower(s string) bool {
	for _, r := range s {
		return unicode.IsLower(r)
	}
	return false
}

func endsSentence(s string) bool {
	r := []rune(strings.TrimRight(s, `"'”’)]`))
	if len(r) == 0 {
		return false
	}
	switch r[len(r)-1] {
	case '.', '!', '?', ':', '。', '！', '？':
		return true
	}
	return false
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF)
}

func isCJKEnd(s string) bool {
	r := []rune(s)
	return len(r) > 0 && isCJK(r[len(r)-1])
}

func isCJKStart(s string) bool {
	for _, r := range s {
		return isCJK(r)
	}
	return false
}
