package ocr

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/internal/testdocs"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/tiff"
)

const sampleTSV = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
	"1\t1\t0\t0\t0\t0\t0\t0\t1000\t800\t-1\t\n" +
	"4\t1\t1\t1\t1\t0\t100\t100\t500\t40\t-1\t\n" +
	"5\t1\t1\t1\t1\t1\t100\t100\t200\t40\t96.1\tThe\n" +
	"5\t1\t1\t1\t1\t2\t320\t100\t280\t40\t95.0\tcontin-\n" +
	"5\t1\t1\t1\t2\t1\t100\t150\t120\t40\t91.0\tued\n" +
	"5\t1\t1\t1\t2\t2\t240\t150\t100\t40\t90.0\ttext.\n" +
	"5\t1\t1\t1\t2\t3\t360\t150\t100\t40\t90.0\t \n" +
	"5\t1\t2\t1\t1\t1\t100\t300\t40\t40\t88.0\t中文\n" +
	"5\t1\t2\t1\t1\t2\t150\t300\t40\t40\t88.0\t文字\n"

func TestParseTSVAndLayout(t *testing.T) {
	pages, err := parseTSV([]byte(sampleTSV), 1)
	if err != nil {
		t.Fatal(err)
	}
	p := pages[0]
	if len(p.Lines) != 3 || p.Words() != 6 || p.Lines[2].Para == p.Lines[0].Para || p.Lines[1].Para != p.Lines[0].Para {
		t.Fatalf("lines %+v", p.Lines)
	}
	paras, boxes := p.Layout()
	var texts []string
	for _, pa := range paras {
		texts = append(texts, pa.Text)
		if len([]rune(pa.Text)) != len(pa.Chars) {
			t.Errorf("%q has %d chars", pa.Text, len(pa.Chars))
		}
	}
	// The hyphen at the line end is dropped and the word joined; Chinese
	// words join without a space.
	if want := []string{"The continued text.", "中文文字"}; !reflect.DeepEqual(texts, want) {
		t.Fatalf("paragraphs %q, want %q", texts, want)
	}
	// "ued" keeps the boxes of the second line.
	i := strings.Index(paras[0].Text, "ued")
	if b := boxes[paras[0].Chars[len([]rune(paras[0].Text[:i]))]]; b.Line != 1 || b.Y0 != 150 || b.X0 != 100 {
		t.Errorf("box of 'u' %+v", b)
	}
	if _, err := parseTSV([]byte("not a table"), 1); err == nil {
		t.Error("garbage parsed")
	}
}

func TestParseOSDAndLangs(t *testing.T) {
	out := "Page number: 0\nOrientation in degrees: 270\nRotate: 90\nOrientation confidence: 3.34\nScript: Han\nScript confidence: 2.10\n"
	if s, c := parseOSD([]byte(out)); s != "Han" || c != 2.10 {
		t.Errorf("got %q %v", s, c)
	}
	langs := parseLangs("List of available languages in \"/usr/share/tessdata/\" (3):\nosd\neng\nchi_sim\n")
	if !reflect.DeepEqual(langs, []string{"chi_sim", "eng", "osd"}) || !reflect.DeepEqual(textLangs(langs), []string{"chi_sim", "eng"}) {
		t.Errorf("langs %v", langs)
	}
	for lang, want := range map[string]string{"eng": "Latin", "deu": "Latin", "chi_sim": "Han", "jpn": "Han", "kor": "Hangul", "rus": "Cyrillic"} {
		if got := scriptOf(lang); got != want {
			t.Errorf("script of %s: %s, want %s", lang, got, want)
		}
	}
}

func TestShrink(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3000, 10))
	for i := range g.Pix {
		g.Pix[i] = uint8(100 + i%2*50) // columns alternate 100 and 150
	}
	s := shrink(g, 1400)
	if s.Bounds().Dx() != 1000 || s.Bounds().Dy() != 3 || s.Pix[0] != 116 { // (100+150+100)×3/9
		t.Errorf("shrunk to %v, first pixel %d", s.Bounds(), s.Pix[0])
	}
	if shrink(g, 4000) != g {
		t.Error("a narrow image was copied")
	}
}

// fakeTesseract writes a shell script that answers like Tesseract and
// then behaves as told for a page.
func fakeTesseract(t *testing.T, page string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("skipping: the stand-in recogniser is a shell script")
	}
	p := filepath.Join(t.TempDir(), "tesseract")
	script := "#!/bin/sh\ncase \"$1\" in\n--version) echo 'tesseract 5.3.0';;\n--list-langs) printf 'List of available languages (1):\\neng\\n';;\n*) cat >/dev/null; " + page + ";;\nesac\n"
	if err := os.WriteFile(p, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRecogniserFailures(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 10, 10))
	for _, tc := range []struct {
		name, page string
		want       error
	}{
		{"crash", "kill -SEGV $$", ErrFailed},
		{"garbage", "echo nonsense", ErrFailed},
		{"hang", "sleep 30", ErrTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(Options{Program: fakeTesseract(t, tc.page), PageTimeout: 300 * time.Millisecond})
			_, err := e.Recognize(context.Background(), img, ReadOptions{DPI: 300})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		e := New(Options{Program: fakeTesseract(t, "sleep 30")})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, err := e.Recognize(ctx, img, ReadOptions{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not installed", func(t *testing.T) {
		e := New(Options{Program: filepath.Join(t.TempDir(), "missing")})
		in := e.Info(context.Background())
		if _, err := e.Recognize(context.Background(), img, ReadOptions{}); !errors.Is(err, ErrNotInstalled) || in.Available || !strings.Contains(in.Problem, "install") {
			t.Fatalf("got %v, %+v", err, in)
		}
	})
	t.Run("missing language", func(t *testing.T) {
		e := New(Options{Program: fakeTesseract(t, "true"), Languages: []string{"deu"}})
		if err := e.Available(context.Background()); !errors.Is(err, ErrNoLanguage) || !strings.Contains(err.Error(), "deu") {
			t.Fatalf("got %v", err)
		}
	})
}

// needTesseract skips without Tesseract or one of the packs named;
// make test installs them (packaging/deps.sh).
func needTesseract(t *testing.T, packs ...string) *Engine {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
	e := New(Options{})
	in := e.Info(context.Background())
	for _, p := range packs {
		if !contains(in.Installed, p) {
			t.Skipf("skipping: Tesseract's %s pack is not installed (make test installs it)", p)
		}
	}
	return e
}

// A page scanned sideways is read upright, and its words' boxes are on
// the page as it was given.
func TestReadsASidewaysPage(t *testing.T) {
	e := needTesseract(t, "eng", "osd")
	page, err := testdocs.TextImage(goregular.TTF, 40, "The committee met on Tuesday morning", "and approved the budget for the library.", "Minutes were taken by the secretary.")
	if err != nil {
		t.Fatal(err)
	}
	b := page.Bounds()
	turned := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			turned.SetGray(b.Dy()-1-y, x, page.GrayAt(x, y)) // a quarter turn clockwise
		}
	}
	p, err := e.Recognize(context.Background(), turned, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	var budget image.Rectangle
	for _, l := range p.Lines {
		for _, w := range l.Words {
			words = append(words, w.Text)
			if w.Text == "budget" {
				budget = w.Box
			}
		}
	}
	if got := strings.Join(words, " "); !strings.Contains(got, "approved the budget") {
		t.Fatalf("read %q", got)
	}
	// On the turned page a word runs down, not across.
	if budget.Dy() <= budget.Dx() || !budget.In(turned.Bounds()) {
		t.Errorf("box of 'budget' %v on a page of %v", budget, turned.Bounds())
	}
}

// A Chinese page is recognised as Han script and read with the Chinese
// pack, beside English ones.
func TestReadsChinese(t *testing.T) {
	e := needTesseract(t, "eng", "osd", "chi_sim")
	font, err := os.ReadFile("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
	if err != nil {
		t.Skip("skipping: needs a Chinese font (make test installs fonts-droid-fallback)")
	}
	lines := []string{"图书馆的阅览室里有许多安静的小桌子。", "学生们在这里读书、写作和思考问题。", "每天早上八点开门，晚上十点关门。", "借书的时候需要出示自己的学生证。"}
	page, err := testdocs.TextImage(font, 40, lines...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Recognize(context.Background(), page, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	paras, _ := p.Layout()
	var got strings.Builder
	for _, pa := range paras {
		got.WriteString(pa.Text)
	}
	want := strings.Join(lines, "")
	if p.Script != "Han" || p.Languages[0] != "chi_sim" {
		t.Errorf("script %q, languages %v", p.Script, p.Languages)
	}
	// No spaces between Chinese words, and few characters wrong.
	if d := runeDistance(got.String(), want); float64(d) > 0.05*float64(len([]rune(want))) {
		t.Errorf("read %q (%d edits from the text)", got.String(), d)
	}
}

func runeDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur := make([]int, len(y)+1)
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(y)]
}

func TestRealTesseractInfo(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
	in := New(Options{}).Info(context.Background())
	if !in.Available || !strings.HasPrefix(in.Version, "5") && !strings.HasPrefix(in.Version, "4") || len(in.Using) == 0 {
		t.Fatalf("%+v", in)
	}
}

// Every script the detector names has its place in the order that makes
// scriptOf deterministic.
func TestScriptOrderCoversEveryScript(t *testing.T) {
	for script := range scriptLangs {
		if !contains(scriptOrder, script) {
			t.Errorf("%s is missing from scriptOrder", script)
		}
	}
}

func TestScriptOf(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"English", strings.Repeat("The committee met on Tuesday morning. ", 4), "Latin"},
		{"German with formulas", strings.Repeat("Sei α eine Abbildung und β ihre Umkehrung über dem Raum. ", 4), "Latin"},
		{"Chinese quoting English", strings.Repeat("图书馆的阅览室里有许多安静的小桌子 Carrel ", 6), "Han"},
		{"Japanese", strings.Repeat("図書館の閲覧室には静かな机がたくさんあります。", 4), "Japanese"},
		{"Russian", strings.Repeat("Библиотека открыта каждый день с утра. ", 4), "Cyrillic"},
		{"Arabic", strings.Repeat("المكتبة مفتوحة كل يوم من الصباح ", 4), "Arabic"},
		{"too short", "Page 12", ""},
		{"digits and symbols", strings.Repeat("12 + 34 = 46; ", 20), ""},
		{"no script leads", strings.Repeat("Library библ ", 10), "Cyrillic"},
		{"Latin not clearly ahead", strings.Repeat("Libraries αβ ", 10), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ScriptOf(tc.text); got != tc.want {
				t.Errorf("ScriptOf = %q, want %q", got, tc.want)
			}
		})
	}
}

// Words are sorted to the image of the TSV's page number, each page
// numbering its own paragraphs.
func TestParseTSVOfSeveralPages(t *testing.T) {
	tsv := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"1\t1\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t1\t1\t20\t10\t90\tone\n" +
		"5\t1\t1\t2\t1\t1\t1\t20\t20\t10\t90\ttwo\n" +
		"1\t2\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t\n" +
		"1\t3\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t\n" +
		"5\t3\t1\t1\t1\t1\t5\t5\t20\t10\t80\tthree\n"
	pages, err := parseTSV([]byte(tsv), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 || pages[0].Words() != 2 || pages[1].Words() != 0 || pages[2].Words() != 1 {
		t.Fatalf("pages %+v", pages)
	}
	if pages[0].Lines[1].Para != 1 || pages[2].Lines[0].Para != 0 || pages[2].Lines[0].Words[0].Text != "three" {
		t.Errorf("paragraphs %+v / %+v", pages[0].Lines, pages[2].Lines)
	}
	if _, err := parseTSV([]byte(tsv), 2); err == nil {
		t.Error("a third page in the output of two was taken")
	}
}

// countingTesseract wraps the real Tesseract in a script that logs each
// run's arguments, so a test can count the recogniser's starts.
func countingTesseract(t *testing.T) (prog string, runs func() []string) {
	t.Helper()
	real, err := exec.LookPath("tesseract")
	if err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("skipping: the counting wrapper is a shell script")
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "runs")
	prog = filepath.Join(dir, "tesseract")
	script := "#!/bin/sh\necho \"$*\" >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(prog, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return prog, func() []string {
		b, _ := os.ReadFile(log)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" && !strings.HasPrefix(l, "--version") && !strings.HasPrefix(l, "--list-langs") {
				out = append(out, l)
			}
		}
		return out
	}
}

func pageWords(p *Page) string {
	var words []string
	for _, l := range p.Lines {
		for _, w := range l.Words {
			words = append(words, w.Text)
		}
	}
	return strings.Join(words, " ")
}

// Several regions are read in one run, each as it reads alone.
func TestRecognizeEachReadsManyInOneRun(t *testing.T) {
	prog, runs := countingTesseract(t)
	e := New(Options{Program: prog})
	if err := e.Available(context.Background()); err != nil {
		t.Skip("skipping: ", err)
	}
	texts := [][]string{{"Temperature in kelvin"}, {"Pressure", "at sea level"}, nil, {"Figure three shows the library"}}
	var imgs []image.Image
	for _, lines := range texts {
		if lines == nil {
			imgs = append(imgs, image.NewGray(image.Rect(0, 0, 120, 60))) // black: nothing to read
			continue
		}
		img, err := testdocs.TextImage(goregular.TTF, 32, lines...)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	got, err := e.RecognizeEach(context.Background(), imgs, ReadOptions{DPI: 300, Script: "Latin"})
	if err != nil {
		t.Fatal(err)
	}
	if r := runs(); len(r) != 1 {
		t.Fatalf("%d runs for %d regions: %q", len(r), len(imgs), r)
	}
	for i, lines := range texts {
		r := got[i]
		if r.Err != nil {
			t.Fatalf("region %d: %v", i, r.Err)
		}
		if want := strings.Join(lines, " "); pageWords(r.Page) != want {
			t.Errorf("region %d read %q, want %q", i, pageWords(r.Page), want)
		}
		if b := imgs[i].Bounds(); r.Page.Width != b.Dx() || r.Page.Height != b.Dy() {
			t.Errorf("region %d is %d×%d, the image %v", i, r.Page.Width, r.Page.Height, b)
		}
	}
}

// A run of several that fails is read again image by image: the batch
// costs time, not the regions.
func TestRecognizeEachFallsBackImageByImage(t *testing.T) {
	// A recogniser that crashes on a TIFF (several images) and reads
	// "walrus" on a PGM (one).
	if runtime.GOOS == "windows" {
		t.Skip("skipping: the stand-in recogniser is a shell script")
	}
	prog := filepath.Join(t.TempDir(), "tesseract")
	script := "#!/bin/sh\ncase \"$1\" in\n--version) echo 'tesseract 5.3.0';;\n--list-langs) printf 'List of available languages (1):\\neng\\n';;\n" +
		"*) case \"$(head -c 2)\" in II) kill -SEGV $$;; esac; cat >/dev/null\n" +
		"printf 'level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n5\\t1\\t1\\t1\\t1\\t1\\t1\\t1\\t5\\t5\\t95\\twalrus\\n';;\nesac\n"
	if err := os.WriteFile(prog, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	e := New(Options{Program: prog})
	imgs := []image.Image{image.NewGray(image.Rect(0, 0, 10, 10)), image.NewGray(image.Rect(0, 0, 20, 10)), image.NewGray(image.Rect(0, 0, 30, 10))}
	got, err := e.RecognizeEach(context.Background(), imgs, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		if r.Err != nil || pageWords(r.Page) != "walrus" || r.Page.Width != imgs[i].Bounds().Dx() {
			t.Errorf("region %d: %+v", i, r)
		}
	}
}

// A page read in the script its document is written in is read once,
// without the detector; when the guess is wrong the doubtful reading is
// checked, and the page read in its own script.
func TestExpectedScript(t *testing.T) {
	needTesseract(t, "eng", "osd", "chi_sim")
	prog, runs := countingTesseract(t)
	e := New(Options{Program: prog})
	english, err := testdocs.TextImage(goregular.TTF, 40, "The committee met on Tuesday morning", "and approved the budget for the library.")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Recognize(context.Background(), english, ReadOptions{Script: "Latin"})
	if err != nil {
		t.Fatal(err)
	}
	if r := runs(); len(r) != 1 || !strings.Contains(pageWords(p), "approved the budget") || p.Script != "Latin" {
		t.Fatalf("runs %q, read %q in %q", r, pageWords(p), p.Script)
	}
	font, err := os.ReadFile("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
	if err != nil {
		t.Skip("skipping: needs a Chinese font (make test installs fonts-droid-fallback)")
	}
	chinese, err := testdocs.TextImage(font, 40, "图书馆的阅览室里有许多安静的小桌子。", "学生们在这里读书、写作和思考问题。", "每天早上八点开门，晚上十点关门。", "借书的时候需要出示自己的学生证。")
	if err != nil {
		t.Fatal(err)
	}
	p, err = e.Recognize(context.Background(), chinese, ReadOptions{Script: "Latin"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Script != "Han" || p.Languages[0] != "chi_sim" || !strings.Contains(strings.ReplaceAll(pageWords(p), " ", ""), "阅览室") {
		t.Errorf("a Chinese page expected as Latin: read %q with %v (%q); runs %q", pageWords(p), p.Languages, p.Script, runs())
	}
}

// The TIFF of several images: a chain of word-aligned directories, each
// pointing at its image's pixels; page 1 decodes as a TIFF reader sees it.
func TestEncodeTIFF(t *testing.T) {
	var imgs []*image.Gray
	for i, size := range []image.Point{{3, 5}, {7, 1}, {10, 10}} {
		g := image.NewGray(image.Rect(0, 0, size.X, size.Y))
		for j := range g.Pix {
			g.Pix[j] = uint8(i*50 + j)
		}
		imgs = append(imgs, g)
	}
	b := encodeTIFF(imgs, 300)
	first, err := tiff.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := first.(*image.Gray); !ok || !bytes.Equal(g.Pix, imgs[0].Pix) {
		t.Fatalf("page 1 decodes as %T %v", first, first.Bounds())
	}
	le := binary.LittleEndian
	off := le.Uint32(b[4:])
	for i, img := range imgs {
		if off == 0 || off%2 != 0 {
			t.Fatalf("directory %d at %d", i, off)
		}
		n := int(le.Uint16(b[off:]))
		tags := map[uint16]uint32{}
		for k := 0; k < n; k++ {
			e := b[int(off)+2+12*k:]
			v := le.Uint32(e[8:])
			if le.Uint16(e[2:]) == 3 {
				v = uint32(le.Uint16(e[8:]))
			}
			tags[le.Uint16(e)] = v
		}
		w, h := int(tags[256]), int(tags[257])
		start, count := tags[273], tags[279]
		if w != img.Bounds().Dx() || h != img.Bounds().Dy() || !bytes.Equal(b[start:start+count], img.Pix) || tags[282]%2 != 0 {
			t.Errorf("page %d: %d×%d, tags %v", i+1, w, h, tags)
		}
		off = le.Uint32(b[int(off)+2+12*n:])
	}
	if off != 0 {
		t.Errorf("a fourth directory at %d", off)
	}
}
