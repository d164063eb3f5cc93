// Package ocr reads the text of page images with Tesseract, run as a
// separate program: one process per page, each with a time limit, a
// memory cap and cancellation, so a hostile scan that crashes or stalls
// the recogniser costs one page, never the program. It is what ocrmypdf
// and paperless do; linking libtesseract would be a second cgo package
// and put its crashes inside Carrel.
//
// Every word comes back with its box on the page, so a passage cut from a
// scan can be highlighted on the page image.
package ocr

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors a recognition can end with.
var (
	// ErrNotInstalled means Tesseract was not found on this computer;
	// InstallHint says how to get it.
	ErrNotInstalled = errors.New("ocr: Tesseract is not installed")
	// ErrNoLanguage means Tesseract has no language pack Carrel can use.
	ErrNoLanguage = errors.New("ocr: no language pack is installed for Tesseract")
	// ErrTimeout means a page took longer than the page time limit.
	ErrTimeout = errors.New("ocr: the page took too long to read")
	// ErrFailed means the recogniser failed on a page (it crashed, ran
	// out of its memory cap, or could not read the image).
	ErrFailed = errors.New("ocr: the page could not be read")
)

// Options configure an Engine. Zero values pick the defaults.
type Options struct {
	// Program is the tesseract executable; "" looks for it on PATH and in
	// the places its installers use.
	Program string
	// Languages are the Tesseract language packs to read with ("eng",
	// "deu", "chi_sim"…); empty means automatic: the script of each page
	// is detected and read with the installed packs for it.
	Languages []string
	// PageTimeout bounds one page; 0 means 2 minutes.
	PageTimeout time.Duration
	// MemoryLimit caps the recogniser's address space in bytes where the
	// system allows it (Linux); 0 means 2 GiB.
	MemoryLimit int64
}

func (o Options) withDefaults() Options {
	if o.PageTimeout <= 0 {
		o.PageTimeout = 2 * time.Minute
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = 2 << 30
	}
	return o
}

// Engine recognises text on page images. It finds Tesseract and its
// language packs on first use, not when it is made, so making one costs
// nothing at start-up. It is safe for concurrent use.
type Engine struct {
	opts Options

	mu      sync.Mutex // the discovery below
	found   bool
	checked time.Time // when a failed discovery was made
	program string
	version string
	langs   []string // installed packs, sorted
	err     error
}

// retryAfter is how long a failed discovery stands: Tesseract installed
// while Carrel runs is found at the next scan after it.
const retryAfter = 30 * time.Second

// New returns an Engine with the given options.
func New(opts Options) *Engine {
	return &Engine{opts: opts.withDefaults()}
}

// Info says what OCR can do on this computer.
type Info struct {
	Available bool   `json:"available"`
	Program   string `json:"program,omitempty"`
	Version   string `json:"version,omitempty"`
	// Installed are the language packs present; Using are those read
	// with (Automatic: chosen among them per page by the script seen).
	Installed []string `json:"installed,omitempty"`
	Using     []string `json:"using,omitempty"`
	Automatic bool     `json:"automatic"`
	// Problem says in words why OCR is not available, and how to fix it.
	Problem string `json:"problem,omitempty"`
}

// Info reports whether OCR is available and with which languages.
func (e *Engine) Info(ctx context.Context) Info {
	err := e.find(ctx)
	e.mu.Lock()
	in := Info{Program: e.program, Version: e.version, Installed: e.langs, Automatic: len(e.opts.Languages) == 0}
	e.mu.Unlock()
	if err != nil {
		in.Problem = Describe(err)
		return in
	}
	in.Available = true
	if in.Automatic {
		in.Using = textLangs(in.Installed)
	} else {
		in.Using = e.opts.Languages
	}
	return in
}

// Available returns nil when pages can be recognised, else an error
// wrapping ErrNotInstalled or ErrNoLanguage.
func (e *Engine) Available(ctx context.Context) error {
	return e.find(ctx)
}

// Describe says in words what an OCR error means for a person, with what
// to do about it.
func Describe(err error) string {
	detail := ""
	if _, d, ok := strings.Cut(err.Error(), ": "); ok && (errors.Is(err, ErrNotInstalled) || errors.Is(err, ErrNoLanguage)) {
		if _, d2, ok := strings.Cut(d, ": "); ok {
			detail = " (" + d2 + ")"
		}
	}
	switch {
	case errors.Is(err, ErrNotInstalled):
		return "OCR is not installed" + detail + "; " + InstallHint()
	case errors.Is(err, ErrNoLanguage):
		return "OCR has no language pack" + detail + "; " + InstallHint()
	}
	return err.Error()
}

// InstallHint says how to install Tesseract on this system.
func InstallHint() string {
	switch runtime.GOOS {
	case "darwin":
		return "install Tesseract with Homebrew: brew install tesseract tesseract-lang"
	case "windows":
		return "install Tesseract from https://github.com/UB-Mannheim/tesseract/wiki (winget install UB-Mannheim.TesseractOCR), then restart Carrel"
	}
	return "install Tesseract: sudo apt install tesseract-ocr (and a pack per language, such as tesseract-ocr-deu or tesseract-ocr-chi-sim)"
}

// programPlaces are where Tesseract's installers put it when it is not on
// PATH (an app started from the Finder or the Start menu does not see the
// shell's PATH).
func programPlaces() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"/opt/homebrew/bin/tesseract", "/usr/local/bin/tesseract", "/opt/local/bin/tesseract"}
	case "windows":
		var out []string
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"} {
			if d := os.Getenv(env); d != "" {
				out = append(out, filepath.Join(d, "Tesseract-OCR", "tesseract.exe"), filepath.Join(d, "Programs", "Tesseract-OCR", "tesseract.exe"))
			}
		}
		return out
	}
	return []string{"/usr/bin/tesseract", "/usr/local/bin/tesseract"}
}

// find locates Tesseract and its language packs: once when they are
// found; again after a while when they were not. The discovery runs under
// its own time limit, not the caller's context, whose end (one cancelled
// file) must not be remembered as "not installed".
func (e *Engine) find(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.found || (e.err != nil && time.Since(e.checked) < retryAfter) {
		return e.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e.program, e.version, e.langs = "", "", nil
	e.err = e.discover()
	e.found, e.checked = e.err == nil, time.Now()
	return e.err
}

func (e *Engine) discover() error {
	prog := e.opts.Program
	if prog == "" {
		if p, err := exec.LookPath("tesseract"); err == nil {
			prog = p
		} else {
			for _, p := range programPlaces() {
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					prog = p
					break
				}
			}
		}
	}
	if prog == "" {
		return ErrNotInstalled
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := command(ctx, prog, "--version").Output()
	if err != nil {
		return fmt.Errorf("%w: %s does not run (%v)", ErrNotInstalled, prog, err)
	}
	e.program = prog
	e.version = parseVersion(string(out))
	out, err = command(ctx, prog, "--list-langs").Output()
	if err != nil {
		return fmt.Errorf("%w: %s cannot list its languages (%v)", ErrNoLanguage, prog, err)
	}
	e.langs = parseLangs(string(out))
	if len(textLangs(e.langs)) == 0 {
		return ErrNoLanguage
	}
	for _, l := range e.opts.Languages {
		if !contains(e.langs, l) {
			return fmt.Errorf("%w: %q is not installed (installed: %s)", ErrNoLanguage, l, strings.Join(textLangs(e.langs), ", "))
		}
	}
	return nil
}

// command makes a tesseract command whose own threads are limited to one:
// Carrel reads several files at once already, and OpenMP threads on top
// of that only fight for the cores.
func command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.WaitDelay = 2 * time.Second
	hideWindow(cmd)
	return cmd
}

func parseVersion(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(strings.TrimPrefix(line, "tesseract"))
}

// parseLangs reads `tesseract --list-langs`: a heading line, then one
// pack per line.
func parseLangs(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "List of") || strings.ContainsAny(l, " :\"") {
			continue
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// textLangs are the packs that read text: not the orientation and script
// detector, nor the equation pack.
func textLangs(langs []string) []string {
	var out []string
	for _, l := range langs {
		if l != "osd" && l != "equ" && !strings.HasPrefix(l, "script/") {
			out = append(out, l)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Word is one recognised word and its box in the image's pixels.
type Word struct {
	Text string
	Box  image.Rectangle
	Conf float64 // Tesseract's confidence, 0 to 100
}

// Line is a line of words in reading order.
type Line struct {
	Words []Word
	// Para numbers the paragraph the line belongs to, over the page.
	Para int
}

// Page is what was read on one page image.
type Page struct {
	Width, Height int
	Lines         []Line
	// Languages are the packs the page was read with; Script is the
	// script detected on it ("" when it was not detected).
	Languages []string
	Script    string
}

// Words counts the words read.
func (p *Page) Words() int {
	n := 0
	for _, l := range p.Lines {
		n += len(l.Words)
	}
	return n
}

// Recognize reads the text of img, scanned at dpi dots per inch (0 when
// unknown). A page scanned sideways or upside down is read upright when
// the orientation pack (osd) is installed; boxes are always in img's
// pixels.
func (e *Engine) Recognize(ctx context.Context, img image.Image, dpi int) (*Page, error) {
	if err := e.find(ctx); err != nil {
		return nil, err
	}
	gray := Gray(img)
	langs, script := e.opts.Languages, ""
	if len(langs) == 0 {
		langs, script = e.detect(ctx, gray, dpi)
	}
	// Page segmentation 1 finds the orientation first (with the osd
	// pack) and reads the page turned upright, reporting boxes on the
	// image as given; it costs about a tenth more than 3, which has no
	// orientation step.
	psm := "3"
	if contains(e.langs, "osd") {
		psm = "1"
	}
	tsv, err := e.run(ctx, gray, dpi, "-l", strings.Join(langs, "+"), "--psm", psm, "tsv")
	if err != nil {
		return nil, err
	}
	page, err := parseTSV(tsv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFailed, err)
	}
	b := gray.Bounds()
	page.Width, page.Height = b.Dx(), b.Dy()
	page.Languages, page.Script = langs, script
	return page, nil
}

// scriptLangs maps the scripts Tesseract's detector names to the packs
// that read them, best first.
var scriptLangs = map[string][]string{
	"Han":        {"chi_sim", "chi_tra", "jpn"},
	"Japanese":   {"jpn", "jpn_vert"},
	"Hangul":     {"kor", "kor_vert"},
	"Korean":     {"kor"},
	"Cyrillic":   {"rus", "ukr", "bul", "srp", "bel", "mkd"},
	"Arabic":     {"ara", "fas", "urd"},
	"Hebrew":     {"heb"},
	"Greek":      {"ell", "grc"},
	"Devanagari": {"hin", "mar", "nep", "san"},
	"Thai":       {"tha"},
	"Bengali":    {"ben"},
	"Tamil":      {"tam"},
	"Georgian":   {"kat"},
	"Armenian":   {"hye"},
}

// latinLangs are packs for Latin script; English first, it is the most
// common and the detector reports all of them as "Latin".
var latinLangs = []string{"eng", "deu", "fra", "spa", "ita", "por", "nld", "pol", "ces", "swe", "dan", "nor", "fin", "tur", "vie", "ron", "hun", "ind"}

// scriptOrder fixes which script a pack listed under several counts for
// (jpn reads Han and Japanese kana: Han).
var scriptOrder = []string{"Han", "Japanese", "Hangul", "Korean", "Cyrillic", "Arabic", "Hebrew", "Greek", "Devanagari", "Thai", "Bengali", "Tamil", "Georgian", "Armenian"}

// scriptOf names the script a pack reads, "Latin" for those not listed.
func scriptOf(lang string) string {
	for _, script := range scriptOrder {
		if contains(scriptLangs[script], lang) {
			if script == "Korean" {
				return "Hangul"
			}
			return script
		}
	}
	return "Latin"
}

// osdWidth is the width a page is shrunk to for script detection: the
// detector needs letters, not fine print, and a smaller image halves
// its time.
const osdWidth = 1400

// detect chooses the packs for a page. With packs of one script only
// installed there is nothing to choose: the first of them (English, if
// it is there). With several, the detector names the page's script, and
// its installed pack is used, with English, which mixed pages often hold.
// When it cannot tell, the Latin packs are used.
func (e *Engine) detect(ctx context.Context, img *image.Gray, dpi int) (langs []string, script string) {
	texts := textLangs(e.langs)
	fallback := []string{texts[0]}
	for _, l := range latinLangs {
		if contains(texts, l) {
			fallback = []string{l} // one Latin pack: each more slows every page
			break
		}
	}
	scripts := map[string]bool{}
	for _, l := range texts {
		scripts[scriptOf(l)] = true
	}
	if len(scripts) < 2 || !contains(e.langs, "osd") {
		return fallback, ""
	}
	small, sdpi := shrink(img, osdWidth), dpi
	if f := img.Bounds().Dx() / max(small.Bounds().Dx(), 1); f > 1 && dpi > 0 {
		sdpi = dpi / f
	}
	out, err := e.run(ctx, small, sdpi, "--psm", "0", "-l", "osd")
	if err != nil {
		return fallback, ""
	}
	script, conf := parseOSD(out)
	// The detector's confidence is low on clean pages of CJK (0.45 on a
	// page it read right); below this it is guessing.
	if script == "" || conf < 0.2 {
		return fallback, ""
	}
	var picked []string
	for _, l := range scriptLangs[script] {
		if contains(texts, l) {
			picked = append(picked, l)
			break
		}
	}
	if len(picked) == 0 {
		return fallback, script
	}
	if script != "Latin" && contains(texts, "eng") {
		picked = append(picked, "eng")
	}
	return picked, script
}

// parseOSD reads the script report of `--psm 0`.
func parseOSD(b []byte) (script string, conf float64) {
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Script":
			script = v
		case "Script confidence":
			conf, _ = strconv.ParseFloat(v, 64)
		}
	}
	return script, conf
}

// run feeds img to one tesseract process as a PGM on its input and
// returns what it printed, under the page time limit and memory cap.
func (e *Engine) run(ctx context.Context, img *image.Gray, dpi int, args ...string) ([]byte, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, e.opts.PageTimeout)
	defer cancel()
	full := []string{"stdin", "stdout"}
	if dpi > 0 {
		full = append(full, "--dpi", strconv.Itoa(dpi))
	}
	cmd := command(ctx, e.program, append(full, args...)...)
	cmd.Stdin = bytes.NewReader(encodePGM(img))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFailed, err)
	}
	limitMemory(cmd.Process.Pid, e.opts.MemoryLimit)
	err := cmd.Wait()
	switch {
	case parent.Err() != nil:
		return nil, parent.Err()
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w (over %s)", ErrTimeout, e.opts.PageTimeout)
	case err != nil:
		return nil, fmt.Errorf("%w: tesseract: %v: %s", ErrFailed, err, lastLine(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// parseTSV reads Tesseract's TSV output: one row per page, block,
// paragraph, line and word; words (level 5) carry the text.
func parseTSV(b []byte) (*Page, error) {
	type key struct{ block, par, line int }
	p := &Page{}
	var cur key
	para := map[[2]int]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	first := true
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if first {
			first = false
			if len(f) < 12 || f[0] != "level" {
				return nil, errors.New("the recogniser's output is not a TSV table")
			}
			continue
		}
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			v, err := strconv.Atoi(f[i])
			if err != nil {
				return nil, fmt.Errorf("bad number %q in the recogniser's output", f[i])
			}
			n[i] = v
		}
		text := strings.TrimSpace(f[11])
		if text == "" {
			continue
		}
		conf, _ := strconv.ParseFloat(f[10], 64)
		k := key{n[2], n[3], n[4]}
		pk := [2]int{n[2], n[3]}
		if _, ok := para[pk]; !ok {
			para[pk] = len(para)
		}
		if len(p.Lines) == 0 || k != cur {
			p.Lines = append(p.Lines, Line{Para: para[pk]})
			cur = k
		}
		l := &p.Lines[len(p.Lines)-1]
		l.Words = append(l.Words, Word{Text: text, Conf: conf,
			Box: image.Rect(n[6], n[7], n[6]+n[8], n[7]+n[9])})
	}
	return p, sc.Err()
}
