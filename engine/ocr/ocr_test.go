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
	if s, r, c := parseOSD([]byte(out)); s != "Han" || r != 90 || c != 2.10 {
		t.Errorf("got %q %d %v", s, r, c)
	}
	if _, r, _ := parseOSD([]byte("Rotate: 45\n")); r != 0 {
		t.Errorf("odd rotation kept: %d", r)
	}
	langs := parseLangs("List of available languages in \"/usr/share/tessdata/\" (3):\nosd\neng\nchi_sim\n")
	if !reflect.DeepEqual(langs, []string{"chi_sim", "eng", "osd"}) || !reflect.DeepEqual(textLangs(langs), []string{"chi_sim", "eng"}) {
		t.Errorf("langs %v", langs)
	}
}

func TestRotationRoundTrip(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 30, 20))
	g.Pix[5*g.Stride+7] = 200 // pixel (7, 5)
	for _, deg := range []int{90, 180, 270} {
		r := rotateGray(g, deg)
		x, y := rotatePoint(7, 5, 30, 20, deg)
		if r.GrayAt(x, y).Y != 200 {
			t.Errorf("%d°: pixel not at (%d, %d)", deg, x, y)
		}
		// A box found on the turned image maps back onto the original.
		p := &Page{Lines: []Line{{Words: []Word{{Text: "x", Box: image.Rect(x, y, x+1, y+1)}}}}}
		unrotate(p, deg, 30, 20)
		if got := p.Lines[0].Words[0].Box; got != image.Rect(7, 5, 8, 6) || p.Width != 30 || p.Height != 20 {
			t.Errorf("%d°: box back at %v", deg, got)
		}
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

func TestRealTesseractInfo(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Skip("skipping: Tesseract is not installed (make test installs tesseract-ocr)")
	}
	in := New(Options{}).Info(context.Background())
	if !in.Available || !strings.HasPrefix(in.Version, "5") && !strings.HasPrefix(in.Version, "4") || len(in.Using) == 0 {
		t.Fatalf("%+v", in)
	}
}
