package ocr

import (
	"context"
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
	p, err := parseTSV([]byte(sampleTSV))
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := parseTSV([]byte("not a table")); err == nil {
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
			_, err := e.Recognize(context.Background(), img, 300)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("cancel", func(t *testing.T) {
		e := New(Options{Program: fakeTesseract(t, "sleep 30")})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, err := e.Recognize(ctx, img, 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not installed", func(t *testing.T) {
		e := New(Options{Program: filepath.Join(t.TempDir(), "missing")})
		in := e.Info(context.Background())
		if _, err := e.Recognize(context.Background(), img, 0); !errors.Is(err, ErrNotInstalled) || in.Available || !strings.Contains(in.Problem, "install") {
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
	p, err := e.Recognize(context.Background(), turned, 0)
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
	p, err := e.Recognize(context.Background(), page, 0)
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
