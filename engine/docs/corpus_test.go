package docs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/internal/sharedtest"
)

type manifestEntry struct {
	File     string  `json:"file"`
	Category string  `json:"category"`
	Notes    string  `json:"notes"`
	Password *string `json:"password"`
}

func corpusManifest(t *testing.T) (string, []manifestEntry) {
	t.Helper()
	m := sharedtest.Path(t, "corpus/manifest.json")
	b, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	var entries []manifestEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(m), entries
}

// corpusExpect says, for a corpus file, what must be found (text that
// appears, on which page) or which error kind it must give.
var corpusExpect = map[string]struct {
	contains []string
	page     map[string]int // text → page it must be on
	heading  map[string]string
	kind     string // expected error kind
	password string // overrides the manifest's (e.g. a wrong one)
}{
	"pdf/text/pypdf-pdflatex-4-pages.pdf":                 {contains: []string{"Hello, here is some text without a meaning", "should show what a printed text will look like"}, page: map[string]int{"gives you information about the selected font": 1}},
	"pdf/text/pdfjs-tracemonkey-paper.pdf":                {contains: []string{"Trace-based Just-in-Time Type Specialization for Dynamic Languages", "dynamically-typed"}},
	"pdf/text/pdfjs-ligatures.pdf":                        {contains: []string{"ffi", "fl"}},
	"pdf/text/pdfjs-french-diacritics.pdf":                {contains: []string{"à À â Â ä Ä ç Ç é É"}},
	"pdf/text/pdfcpu-Walden.pdf":                          {contains: []string{"This is a delicious evening, when the whole body is one sense"}},
	"pdf/text/pypdf-google-doc.pdf":                       {contains: []string{"Beautiful is better than ugly", "Explicit is better than implicit"}},
	"pdf/multicolumn/tika-two-text-boxes.pdf":             {contains: []string{"Left column line 1 Left column line 2 Right column line 1"}},
	"pdf/cjk/pdfjs-issue3521-GBK-EUC.pdf":                 {contains: []string{"我们都是黑体字"}},
	"pdf/cjk/pdfjs-SimFang-chinese.pdf":                   {contains: []string{"全世界无产者，联合起来"}},
	"pdf/cjk/pdfjs-noembed-sjis.pdf":                      {contains: []string{"あいうえお"}},
	"pdf/cjk/pdfcpu-UserFont-CJKV.pdf":                    {contains: []string{"即时处理PDF", "すべてのニーズに対応する"}},
	"pdf/rtl/pdfjs-arabic-cid-truetype.pdf":               {contains: []string{"انواع الخطوط العربية"}},
	"pdf/encrypted/pypdf-libreoffice-password.pdf":        {contains: []string{"Lorem ipsum dolor sit amet"}},
	"pdf/encrypted/pdfjs-issue6010_1-password-abc.pdf":    {contains: []string{"Issue 6010"}},
	"pdf/encrypted/pdfjs-issue6010_2-password-utf8.pdf":   {contains: []string{"Issue 6010"}},
	"pdf/encrypted/pdfjs-issue21579-password-unicode.pdf": {contains: []string{}},
	"pdf/encrypted/tika-password-4-spaces.pdf":            {contains: []string{}},
	"pdf/encrypted/tika-no-extract-permission-user.pdf":   {contains: []string{"Hello World"}},
	"pdf/encrypted/tika-protected-BoE-speech.pdf":         {contains: []string{"RETHINKING THE FINANCIAL NETWORK"}},
	"pdf/encrypted/pdfjs-issue3371-password.pdf":          {kind: "ocr_off"}, // a scan, parsed without a recogniser
	"pdf/scanned/tika-testOCR.pdf":                        {kind: "ocr_off"},
	"pdf/structure/pdfcpu-empty.pdf":                      {kind: "no_text"},
	"pdf/broken/pdfjs-helloworld-bad.pdf":                 {contains: []string{"Hello, world!"}},
	"pdf/broken/pdfjs-redhat-1531897.pdf":                 {kind: "corrupt"},
	"docx/tika-testWORD.docx":                             {contains: []string{"Sample Word Document"}, heading: map[string]string{"Heading Level 2": "Heading Level 1 › Heading Level 2"}},
	"docx/tika-footnotes.docx":                            {contains: []string{"[1] snoska"}},
	"docx/tika-text-box.docx":                             {contains: []string{"This text is inside of a text box in the body of the document."}},
	"docx/tika-phonetic-ruby.docx":                        {contains: []string{"東京"}},
	"docx/tika-altchunk-html.docx":                        {contains: []string{"Col 1 | Col 2\nROW 1 | ROW 1"}},
	"docx/tika-protected-password-tika.docx":              {kind: "encrypted"},
	"docx/tika-truncated.docx":                            {kind: "corrupt"},
	"docx/pydocx-word-default-blank.docx":                 {kind: "no_text"},
	"odt/tika-encrypted-password-tika.odt":                {kind: "encrypted"},
	"odt/tika-not-a-zip.odt":                              {kind: "corrupt"},
	"odt/tika-OpenOffice2.odt":                            {contains: []string{"This is a sample Open Office document"}},
	"epub/epubjs-alice.epub":                              {contains: []string{"Alice was beginning to get very tired of sitting by her sister"}},
	"epub/epubjs-moby-dick.epub":                          {contains: []string{"Call me Ishmael."}},
	"html/tika-bad-script.html":                           {contains: []string{"This is a test."}},
	"html/tika-utf16le.html":                              {contains: []string{"This is a sample text"}},
	"html/tika-arabic-misleading-charset.html":            {contains: []string{"في قرية من القرى كان هناك رجل حكيم"}},
	"rtf/tika-japanese.rtf":                               {contains: []string{"ゾルゲと尾崎、淡々と最期"}},
	"rtf/tika-czech-word2010.rtf":                         {contains: []string{"Svitky od Mrtvého moře"}},
	"txt/tika-russian-cp866.txt":                          {contains: []string{"Однажды, в студеную зимнюю пору"}},
	"txt/tika-english-cp500-ebcdic.txt":                   {contains: []string{"IntelliStation POWER"}},
	"txt/tika-win-1252.txt":                               {contains: []string{"“windows” encoding"}},
}

// TestCorpus parses every file of the shared corpus: each yields text or a
// typed error within its time limit, and the files above yield exactly
// what they must.
func TestCorpus(t *testing.T) {
	dir, entries := corpusManifest(t)
	for _, e := range entries {
		if strings.HasSuffix(e.File, ".json") || strings.Contains(e.File, "/expected") {
			continue
		}
		t.Run(e.File, func(t *testing.T) {
			want := corpusExpect[e.File]
			opts := Options{Timeout: 60 * time.Second}
			if e.Password != nil {
				opts.Password = *e.Password
			}
			// A parse over the time limit ends as a timeout, which no
			// entry expects.
			d, err := testParser().Parse(context.Background(), filepath.Join(dir, e.File), opts)
			if want.kind != "" {
				if failure.KindOf(err) != failure.Kind(want.kind) {
					t.Fatalf("err = %v, want kind %s", err, want.kind)
				}
				return
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || failure.KindOf(err) == "error" {
					t.Fatalf("untyped error %v", err)
				}
				if _, listed := corpusExpect[e.File]; listed || strings.HasPrefix(e.Category, "pdf-text") {
					t.Fatalf("err = %v", err)
				}
				return // broken files may fail, with a kind
			}
			all := d.Text()
			for _, s := range want.contains {
				if !strings.Contains(all, s) {
					t.Errorf("%q not found in %.300q", s, all)
				}
			}
			for s, page := range want.page {
				found := false
				for _, b := range d.Blocks {
					if strings.Contains(b.Text, s) {
						found = true
						if b.Page != page {
							t.Errorf("%q on page %d, want %d", s, b.Page, page)
						}
						break
					}
				}
				if !found {
					t.Errorf("%q not found", s)
				}
			}
			for s, h := range want.heading {
				found := false
				for _, b := range d.Blocks {
					if b.Text == s {
						found = true
						if b.Heading != h {
							t.Errorf("%q under %q, want %q", s, b.Heading, h)
						}
					}
				}
				if !found {
					t.Errorf("heading %q not found", s)
				}
			}
		})
	}
}

// TestTimeLimitStopsPDF runs a long book against a short limit: the parse
// must end with a timeout (not the book's text), and the engine must work
// afterwards.
func TestTimeLimitStopsPDF(t *testing.T) {
	p := sharedtest.Path(t, "corpus/pdf/text/pdfjs-freeculture-book.pdf")
	testParser().Warm()
	_, err := testParser().Parse(context.Background(), p, Options{Timeout: 300 * time.Millisecond})
	if failure.KindOf(err) != "timeout" {
		t.Fatalf("err = %v", err)
	}
	// The engine still works afterwards.
	if _, err := testParser().Parse(context.Background(), sharedtest.Path(t, "corpus/pdf/text/pdfcpu-Walden.pdf"), Options{}); err != nil {
		t.Errorf("after a timeout: %v", err)
	}
}

// TestEncryptedNeedsPassword checks the error a user sees without, and with
// a wrong, password.
func TestEncryptedNeedsPassword(t *testing.T) {
	p := sharedtest.Path(t, "corpus/pdf/encrypted/pypdf-libreoffice-password.pdf")
	for pw, want := range map[string]failure.Kind{"": failure.Encrypted, "wrong": failure.WrongPassword} {
		_, err := testParser().Parse(context.Background(), p, Options{Password: pw})
		if failure.KindOf(err) != want || !errors.Is(err, failure.ErrEncrypted) || !strings.Contains(err.Error(), "encrypted") {
			t.Errorf("password %q: %v (kind %s), want %s", pw, err, failure.KindOf(err), want)
		}
	}
}

// TestWordsSeparated is the LaTeX failure other extractors show: words run
// together ("Hello,hereissometext").
func TestWordsSeparated(t *testing.T) {
	p := sharedtest.Path(t, "corpus/pdf/text/pypdf-pdflatex-outline.pdf")
	d, err := testParser().Parse(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(d.Text())
	long := 0
	for _, w := range words {
		if len([]rune(w)) > 25 {
			long++
		}
	}
	if len(words) < 500 || long > len(words)/200 {
		t.Errorf("%d words, %d run together", len(words), long)
	}
}

// TestHTMLReadabilityGold measures overlap with Readability's gold main
// content on real pages.
func TestHTMLReadabilityGold(t *testing.T) {
	root := sharedtest.Path(t, "corpus/html/readability")
	dirs, _ := os.ReadDir(root)
	if len(dirs) == 0 {
		t.Skip("no readability pages")
	}
	var sumF float64
	for _, dir := range dirs {
		src, err := os.ReadFile(filepath.Join(root, dir.Name(), "source.html"))
		if err != nil {
			continue
		}
		gold, err := os.ReadFile(filepath.Join(root, dir.Name(), "expected.html"))
		if err != nil {
			continue
		}
		d := mustParse(t, dir.Name()+".html", src)
		g := mustParse(t, "gold.html", gold)
		p, r := overlap(d.Text(), g.Text())
		f := 2 * p * r / max(p+r, 1e-9)
		t.Logf("| %-18s | %.3f | %.3f | %.3f |", dir.Name(), p, r, f)
		sumF += f
		if f < 0.8 {
			t.Errorf("%s: precision %.2f recall %.2f", dir.Name(), p, r)
		}
	}
	t.Logf("mean F1 over %d pages: %.3f", len(dirs), sumF/float64(len(dirs)))
	if mean := sumF / float64(len(dirs)); mean < 0.9 {
		t.Errorf("mean F1 %.3f over %d pages", mean, len(dirs))
	}
}

// overlap is word-multiset precision and recall of got against want; a
// CJK character counts as a word, since those scripts have no spaces.
func overlap(got, want string) (precision, recall float64) {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, w := range strings.Fields(strings.ToLower(s)) {
			w = strings.Trim(w, ".,;:!?\"'()[]“”‘’«»")
			var latin strings.Builder
			for _, r := range w {
				if isCJK(r) {
					m[string(r)]++
				} else {
					latin.WriteRune(r)
				}
			}
			if latin.Len() > 0 {
				m[latin.String()]++
			}
		}
		return m
	}
	g, w := count(got), count(want)
	var common, ng, nw int
	for k, n := range g {
		common += min(n, w[k])
		ng += n
	}
	for _, n := range w {
		nw += n
	}
	if ng == 0 || nw == 0 {
		return 0, 0
	}
	return float64(common) / float64(ng), float64(common) / float64(nw)
}

func TestRenderPageLocatesPassage(t *testing.T) {
	pdf := sharedtest.Path(t, "corpus/pdf/text/pdfjs-tracemonkey-paper.pdf")
	p := NewParser("")
	defer p.Close()
	ctx := context.Background()
	doc, err := p.Parse(ctx, pdf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var span CharSpan
	for _, b := range doc.Blocks {
		if b.Page == 2 && len(strings.Fields(b.Text)) > 30 {
			first, last, ok := b.CharRange(0, len(b.Text))
			if !ok {
				t.Fatal("a PDF paragraph has no character positions")
			}
			span = CharSpan{first, last}
			break
		}
	}
	if span == (CharSpan{}) {
		t.Fatal("no paragraph on page 2")
	}
	rp, err := p.RenderPage(ctx, pdf, 2, 800, "", span)
	if err != nil {
		t.Fatal(err)
	}
	b := rp.Image.Bounds()
	if b.Dx() != 800 || b.Dy() < 900 {
		t.Errorf("page drawn at %v", b)
	}
	if len(rp.Marks) < 3 {
		t.Fatalf("the paragraph was not located: %d marks", len(rp.Marks))
	}
	for _, m := range rp.Marks {
		if !m.In(b) || m.Dy() <= 0 || m.Dy() > 60 {
			t.Errorf("mark %v outside the page or not a line", m)
		}
	}
	// The page is drawn: not all one colour.
	seen := map[uint32]bool{}
	for y := 0; y < b.Dy(); y += 13 {
		for x := 0; x < b.Dx(); x += 13 {
			r, _, _, _ := rp.Image.At(x, y).RGBA()
			seen[r] = true
		}
	}
	if len(seen) < 5 {
		t.Error("the page image is blank")
	}
	if _, err := p.RenderPage(ctx, pdf, 999, 800, "", CharSpan{}); err == nil {
		t.Error("a page past the end rendered")
	}
}
