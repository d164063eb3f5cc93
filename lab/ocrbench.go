package lab

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/carrel-ai/carrel/engine"

	"golang.org/x/text/unicode/norm"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/ocr"
	"github.com/carrel-ai/carrel/engine/settings"
)

// OCRBenchOptions say what MeasureOCR reads.
type OCRBenchOptions struct {
	// Files are PDFs with a text layer: their pages are drawn as scans
	// and read back, and the text layer is the truth they are scored
	// against. A picture (a real scan or photo) is read as it is, and
	// scored against the transcription beside it: the same name with
	// ".txt" (scan.png → scan.txt).
	Files []string
	// DPIs are the resolutions compared; empty means 200, 300 and 400.
	DPIs []int
	// Pages is the most pages taken from each file; 0 means 5.
	Pages int
	// MinChars skips pages with less text (covers, blank pages); 0 means
	// 200.
	MinChars int
	// Languages are the Tesseract packs to read with ("eng+deu"); ""
	// means automatic, as indexing does.
	Languages string
	// Program is the tesseract executable; "" finds it.
	Program string
}

// OCRBenchRow is the result at one resolution; DPI 0 is the pictures,
// read at their own resolution.
type OCRBenchRow struct {
	DPI   int `json:"dpi"`
	Pages int `json:"pages"`
	Chars int `json:"chars"` // characters of truth, spaces between words included
	// CER is the character error rate over all pages: edits (insertions,
	// deletions, substitutions) to turn what was read into the truth,
	// divided by the truth's characters; MedianCER is the median page's.
	CER       float64 `json:"cer"`
	MedianCER float64 `json:"median_page_cer"`
	// WordErrors is the share of the truth's words not read, counted
	// without regard to order: a page read right in another order (a
	// sidebar first) scores well here and badly in CER.
	WordErrors float64 `json:"word_errors_any_order"`
	// PagesPerSec counts drawing the page and reading it, one page at a
	// time, as indexing does per file.
	PagesPerSec float64 `json:"pages_per_sec"`
}

// OCRBenchPage is one page's result at one resolution.
type OCRBenchPage struct {
	File  string  `json:"file"`
	Page  int     `json:"page"`
	DPI   int     `json:"dpi"`
	Chars int     `json:"chars"`
	CER   float64 `json:"cer"`
	// WordErrors: see OCRBenchRow.
	WordErrors float64 `json:"word_errors_any_order"`
	Seconds    float64 `json:"seconds"`
	Script     string  `json:"script,omitempty"`
}

// OCRBenchReport is what MeasureOCR found.
type OCRBenchReport struct {
	OCR   engine.OCRInfo `json:"ocr"`
	Rows  []OCRBenchRow  `json:"rows"`
	Pages []OCRBenchPage `json:"pages"`
}

// MeasureOCR draws text pages of PDFs as scans at each resolution, reads
// them with OCR and scores what was read against the pages' own text.
// Pages are read one at a time, so pages/s is per core. progress, if not
// nil, hears of each page.
func MeasureOCR(ctx context.Context, o OCRBenchOptions, progress func(OCRBenchPage)) (OCRBenchReport, error) {
	if len(o.DPIs) == 0 {
		o.DPIs = []int{200, 300, 400}
	}
	if o.Pages <= 0 {
		o.Pages = 5
	}
	if o.MinChars <= 0 {
		o.MinChars = 200
	}
	rec := ocr.New(ocr.Options{Program: o.Program, Languages: settings.OCRLanguageList(o.Languages)})
	rep := OCRBenchReport{OCR: rec.Info(ctx)}
	if !rep.OCR.Available {
		return rep, fmt.Errorf("lab: %s", rep.OCR.Problem)
	}
	cache, _ := os.UserCacheDir()
	parser := docs.NewParser(filepath.Join(cache, "carrel", "pdfium"))
	defer parser.Close()
	type page struct {
		file  string
		data  []byte
		n     int
		truth string
	}
	var pages, pictures []page
	for _, f := range o.Files {
		data, err := docs.ReadFile(f, docs.Options{})
		if err != nil {
			return rep, err
		}
		if det := docs.Detect(f, data[:min(len(data), 8192)], bytes.NewReader(data), int64(len(data))); det.Format == docs.Image {
			t := strings.TrimSuffix(f, filepath.Ext(f)) + ".txt"
			truth, err := os.ReadFile(t)
			if err != nil {
				return rep, fmt.Errorf("lab: %s is a picture: its transcription %s is needed to score it", f, t)
			}
			pictures = append(pictures, page{f, data, 1, string(truth)})
			continue
		}
		texts, err := parser.PageTexts(ctx, data)
		if err != nil {
			return rep, fmt.Errorf("lab: %s: %w", f, err)
		}
		taken := 0
		for i, truth := range texts {
			if taken == o.Pages {
				break
			}
			if len(normalizeOCR(truth)) >= o.MinChars {
				pages = append(pages, page{f, data, i + 1, truth})
				taken++
			}
		}
	}
	if len(pages) == 0 && len(pictures) == 0 {
		return rep, fmt.Errorf("lab: no page with at least %d characters of text in the files given", o.MinChars)
	}
	// Each resolution reads the PDF pages; the pictures are read once,
	// as they are.
	type run struct {
		dpi   int
		pages []page
	}
	var runs []run
	for _, dpi := range o.DPIs {
		if len(pages) > 0 {
			runs = append(runs, run{dpi, pages})
		}
	}
	if len(pictures) > 0 {
		runs = append(runs, run{0, pictures})
	}
	for _, r := range runs {
		dpi := r.dpi
		row := OCRBenchRow{DPI: dpi}
		var edits, chars, missed, truthWords int
		var cers []float64
		start := time.Now()
		for _, pg := range r.pages {
			t0 := time.Now()
			var img image.Image
			var err error
			if dpi == 0 {
				img, err = docs.DecodeImagePage(pg.data, 1)
			} else {
				img, err = parser.DrawForOCR(ctx, pg.data, pg.n, dpi)
			}
			if err != nil {
				return rep, err
			}
			read, err := rec.Recognize(ctx, img, ocr.ReadOptions{DPI: dpi})
			if err != nil {
				return rep, fmt.Errorf("lab: %s page %d: %w", pg.file, pg.n, err)
			}
			took := time.Since(t0)
			// What was read, as it is indexed: paragraphs of the page's
			// layout (Chinese and Japanese words joined without spaces).
			paras, _ := read.Layout()
			var text []string
			for _, p := range paras {
				text = append(text, p.Text)
			}
			truth, got := normalizeOCR(pg.truth), normalizeOCR(strings.Join(text, "\n"))
			e := editDistance(got, truth)
			nc := len(truth)
			edits += e
			chars += nc
			cer := float64(e) / float64(max(len(truth), 1))
			cers = append(cers, cer)
			m, w := wordsMissed(got, truth)
			missed += m
			truthWords += w
			res := OCRBenchPage{File: filepath.Base(pg.file), Page: pg.n, DPI: dpi, Chars: nc, CER: cer, Seconds: took.Seconds(), Script: read.Script,
				WordErrors: float64(m) / float64(max(w, 1))}
			rep.Pages = append(rep.Pages, res)
			if progress != nil {
				progress(res)
			}
		}
		row.Pages, row.Chars = len(r.pages), chars
		row.CER = float64(edits) / float64(max(chars, 1))
		row.WordErrors = float64(missed) / float64(max(truthWords, 1))
		sort.Float64s(cers)
		row.MedianCER = cers[len(cers)/2]
		row.PagesPerSec = float64(len(r.pages)) / time.Since(start).Seconds()
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// normalizeOCR makes text comparable the way people read it: compatibility
// forms folded (ligatures, full-width letters), soft hyphens dropped, and
// every run of white space one space, or none between Chinese or Japanese
// characters (line breaks and column gaps are layout, not text). It
// returns runes, for scoring by character.
func normalizeOCR(s string) []rune {
	s = norm.NFKC.String(s)
	var out []rune
	space, newline := false, false
	for _, r := range s {
		switch {
		case r == '\u00AD' || r == '\uFFFE' || r == 0:
			continue
		case unicode.IsSpace(r):
			space = len(out) > 0
			newline = newline || r == '\n' || r == '\r'
			continue
		}
		n := len(out)
		switch {
		case newline && unicode.IsLower(r) && n >= 2 && out[n-1] == '-' && unicode.IsLetter(out[n-2]):
			// "exam-" at a line's end and "ple" on the next: one word,
			// as the index joins it.
			out = out[:n-1]
		case space && !(ocr.NoSpaces(out[n-1]) && ocr.NoSpaces(r)):
			out = append(out, ' ')
		}
		space, newline = false, false
		out = append(out, r)
	}
	return out
}

// editDistance is the Levenshtein distance between two rune strings.
func editDistance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c = 1 + min(prev[j-1], prev[j], cur[j-1])
			} else {
				c = min(c, 1+prev[j], 1+cur[j-1])
			}
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// wordsMissed counts the words of truth that got does not hold, each
// occurrence once, in any order; and the words of truth.
func wordsMissed(got, truth []rune) (missed, words int) {
	have := map[string]int{}
	for _, w := range strings.Fields(string(got)) {
		have[w]++
	}
	for _, w := range strings.Fields(string(truth)) {
		words++
		if have[w] > 0 {
			have[w]--
		} else {
			missed++
		}
	}
	return missed, words
}
