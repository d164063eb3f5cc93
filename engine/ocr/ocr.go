// Package ocr reads the text of page images with Tesseract, run as a
// separate program: one process per page (small regions of pages many to
// a process, read again one by one when that process fails), each with a
// time limit, a memory cap and cancellation, so a hostile scan that
// crashes or stalls the recogniser costs one page, never the program. It is what ocrmypdf
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
	"slices"
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

// ReadOptions say what is known of images before they are read.
type ReadOptions struct {
	// DPI is the resolution the images were drawn or scanned at; 0 when
	// unknown.
	DPI int
	// Script is the script the text is expected in, as ScriptOf names it
	// (from a document's own decoded text); "" detects it on each image.
	// A full page read with it that comes out doubtful is detected and
	// read again, so a wrong guess costs time, not text.
	Script string
}

// lowConfidence is the mean word confidence (Tesseract's, 0 to 100) under
// which a page read in the expected script is checked with the detector:
// clean print reads at 85 to 95; text read with the wrong script's pack
// comes out as low-confidence letters.
const lowConfidence = 60

// Recognize reads the text of img. A page scanned sideways or upside down
// is read upright when the orientation pack (osd) is installed; boxes are
// always in img's pixels.
func (e *Engine) Recognize(ctx context.Context, img image.Image, o ReadOptions) (*Page, error) {
	if err := e.find(ctx); err != nil {
		return nil, err
	}
	gray := Gray(img)
	langs, script, expected := e.langsFor(o.Script)
	if langs == nil {
		langs, script = e.detect(ctx, gray, o.DPI)
	}
	page, err := e.read(ctx, gray, o.DPI, langs, script)
	if err != nil || !expected || page.Words() == 0 || page.meanConf() >= lowConfidence || !e.canDetect() {
		return page, err
	}
	// Doubtful in the expected script: if the detector sees another, the
	// page is read again with its packs, and the surer reading kept.
	if other, s := e.detect(ctx, gray, o.DPI); !slices.Equal(other, langs) {
		again, err := e.read(ctx, gray, o.DPI, other, s)
		if err != nil {
			return nil, err
		}
		if again.meanConf() > page.meanConf() {
			return again, nil
		}
	}
	return page, nil
}

// read runs one recognition of gray with langs.
func (e *Engine) read(ctx context.Context, gray *image.Gray, dpi int, langs []string, script string) (*Page, error) {
	// Page segmentation 1 finds the orientation first (with the osd
	// pack) and reads the page turned upright, reporting boxes on the
	// image as given; it costs about a tenth more than 3, which has no
	// orientation step.
	psm := "3"
	if contains(e.langs, "osd") {
		psm = "1"
	}
	tsv, err := e.run(ctx, encodePGM(gray), dpi, "-l", strings.Join(langs, "+"), "--psm", psm, "tsv")
	if err != nil {
		return nil, err
	}
	pages, err := parseTSV(tsv, 1)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFailed, err)
	}
	page := pages[0]
	b := gray.Bounds()
	page.Width, page.Height = b.Dx(), b.Dy()
	page.Languages, page.Script = langs, script
	return page, nil
}

// Reading is what was read on one image of several: its page, or why it
// could not be read.
type Reading struct {
	Page *Page
	Err  error
}

// Batches of images read in one run stay under these: about two pages at
// 300 dpi, so a batch's memory and time are those of a page or two.
const (
	maxBatchPixels = 16 << 20
	maxBatchImages = 256
)

// RecognizeEach reads each of imgs on its own, as Recognize would without
// turning it upright: the regions of pages (a figure's labels), too small
// to be worth a recogniser's start each, are read many to a run. A run
// that fails is read again image by image, so a hostile image costs
// itself only. The error is for OCR being unavailable or ctx ending; one
// image's failure is in its Reading.
func (e *Engine) RecognizeEach(ctx context.Context, imgs []image.Image, o ReadOptions) ([]Reading, error) {
	if err := e.find(ctx); err != nil {
		return nil, err
	}
	if len(imgs) == 0 {
		return nil, nil
	}
	grays := make([]*image.Gray, len(imgs))
	largest := 0
	for i, img := range imgs {
		grays[i] = Gray(img)
		if px(grays[i]) > px(grays[largest]) {
			largest = i
		}
	}
	langs, script, _ := e.langsFor(o.Script)
	if langs == nil {
		// One detection for all: the images come from one document.
		langs, script = e.detect(ctx, grays[largest], o.DPI)
	}
	out := make([]Reading, len(imgs))
	for start := 0; start < len(grays); {
		end, pixels := start, 0
		for end < len(grays) && (end == start || pixels+px(grays[end]) <= maxBatchPixels && end-start < maxBatchImages) {
			pixels += px(grays[end])
			end++
		}
		batch := grays[start:end]
		pages, err := e.readEach(ctx, batch, o.DPI, langs, script)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		for i, g := range batch {
			if err == nil {
				out[start+i] = Reading{Page: pages[i]}
				continue
			}
			// The run failed: each image alone, under its own limit.
			p, err := e.read(ctx, g, o.DPI, langs, script)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out[start+i] = Reading{Page: p, Err: err}
		}
		start = end
	}
	return out, nil
}

// readEach reads the images of one batch in one run, as the pages of a
// TIFF. Segmentation 3: these are regions, too small for the orientation
// step, which only reports having too few letters.
func (e *Engine) readEach(ctx context.Context, grays []*image.Gray, dpi int, langs []string, script string) ([]*Page, error) {
	if len(grays) == 1 {
		p, err := e.read(ctx, grays[0], dpi, langs, script)
		return []*Page{p}, err
	}
	tsv, err := e.run(ctx, encodeTIFF(grays, dpi), dpi, "-l", strings.Join(langs, "+"), "--psm", "3", "tsv")
	if err != nil {
		return nil, err
	}
	pages, err := parseTSV(tsv, len(grays))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFailed, err)
	}
	for i, p := range pages {
		b := grays[i].Bounds()
		p.Width, p.Height = b.Dx(), b.Dy()
		p.Languages, p.Script = langs, script
	}
	return pages, nil
}

func px(g *image.Gray) int { return g.Bounds().Dx() * g.Bounds().Dy() }

// meanConf is the mean confidence of the page's words, 0 without words.
func (p *Page) meanConf() float64 {
	sum, n := 0.0, 0
	for _, l := range p.Lines {
		for _, w := range l.Words {
			sum += w.Conf
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
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

// fallbackLangs are the packs read with when the script is not known:
// one Latin pack (each more slows every page), English if installed, else
// the first pack there is.
func (e *Engine) fallbackLangs() []string {
	texts := textLangs(e.langs)
	for _, l := range latinLangs {
		if contains(texts, l) {
			return []string{l}
		}
	}
	return []string{texts[0]}
}

// canDetect reports whether there is a choice of script to detect: packs
// of several scripts and the detector's own pack are installed.
func (e *Engine) canDetect() bool {
	scripts := map[string]bool{}
	for _, l := range textLangs(e.langs) {
		scripts[scriptOf(l)] = true
	}
	return len(scripts) >= 2 && contains(e.langs, "osd")
}

// langsFor chooses the packs to read with before looking at an image:
// those the settings name; with one script installed, its pack; for a
// script expected, its installed pack (with English beside a script
// other than Latin: mixed pages often hold it). langs is nil when the
// image's script must be detected; expected says the choice rests on
// the expected script.
func (e *Engine) langsFor(expected string) (langs []string, script string, fromExpected bool) {
	if len(e.opts.Languages) > 0 {
		return e.opts.Languages, "", false
	}
	if !e.canDetect() {
		return e.fallbackLangs(), "", false
	}
	if expected == "" {
		return nil, "", false
	}
	if l := e.packsOf(expected); l != nil {
		return l, expected, true
	}
	return nil, "", false
}

// packsOf returns the installed packs that read script, nil when none.
func (e *Engine) packsOf(script string) []string {
	texts := textLangs(e.langs)
	if script == "Latin" {
		for _, l := range latinLangs {
			if contains(texts, l) {
				return []string{l}
			}
		}
		return nil
	}
	for _, l := range scriptLangs[script] {
		if contains(texts, l) {
			if l != "eng" && contains(texts, "eng") {
				return []string{l, "eng"}
			}
			return []string{l}
		}
	}
	return nil
}

// detect chooses the packs for a page by its script. With packs of one
// script only installed there is nothing to choose: the first of them
// (English, if it is there). With several, the detector names the page's
// script, and its installed pack is used, with English, which mixed pages
// often hold. When it cannot tell, the Latin packs are used.
func (e *Engine) detect(ctx context.Context, img *image.Gray, dpi int) (langs []string, script string) {
	fallback := e.fallbackLangs()
	if !e.canDetect() {
		return fallback, ""
	}
	small, sdpi := shrink(img, osdWidth), dpi
	if f := img.Bounds().Dx() / max(small.Bounds().Dx(), 1); f > 1 && dpi > 0 {
		sdpi = dpi / f
	}
	out, err := e.run(ctx, encodePGM(small), sdpi, "--psm", "0", "-l", "osd")
	if err != nil {
		return fallback, ""
	}
	script, conf := parseOSD(out)
	// The detector's confidence is low on clean pages of CJK (0.45 on a
	// page it read right); below this it is guessing.
	if script == "" || conf < 0.2 {
		return fallback, ""
	}
	if script == "Latin" {
		return fallback, script
	}
	if l := e.packsOf(script); l != nil {
		return l, script
	}
	return fallback, script
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

// run feeds an image file (a PGM, or a TIFF of several pages) to one
// tesseract process on its input and returns what it printed, under the
// page time limit and memory cap.
func (e *Engine) run(ctx context.Context, input []byte, dpi int, args ...string) ([]byte, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, e.opts.PageTimeout)
	defer cancel()
	full := []string{"stdin", "stdout"}
	if dpi > 0 {
		full = append(full, "--dpi", strconv.Itoa(dpi))
	}
	cmd := command(ctx, e.program, append(full, args...)...)
	cmd.Stdin = bytes.NewReader(input)
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

// parseTSV reads Tesseract's TSV output for an input of n pages: one row
// per page, block, paragraph, line and word; words (level 5) carry the
// text, and the page number says which image they are on.
func parseTSV(b []byte, n int) ([]*Page, error) {
	type key struct{ page, block, par, line int }
	pages := make([]*Page, n)
	for i := range pages {
		pages[i] = &Page{}
	}
	var cur key
	para := map[[3]int]int{}
	paras := make([]int, n) // paragraphs numbered per page
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
		v := make([]int, 10)
		for i := range v {
			x, err := strconv.Atoi(f[i])
			if err != nil {
				return nil, fmt.Errorf("bad number %q in the recogniser's output", f[i])
			}
			v[i] = x
		}
		if v[1] < 1 || v[1] > n {
			return nil, fmt.Errorf("page %d in the recogniser's output of %d", v[1], n)
		}
		text := strings.TrimSpace(f[11])
		if text == "" {
			continue
		}
		p := pages[v[1]-1]
		conf, _ := strconv.ParseFloat(f[10], 64)
		k := key{v[1], v[2], v[3], v[4]}
		pk := [3]int{v[1], v[2], v[3]}
		if _, ok := para[pk]; !ok {
			para[pk] = paras[v[1]-1]
			paras[v[1]-1]++
		}
		if len(p.Lines) == 0 || k != cur {
			p.Lines = append(p.Lines, Line{Para: para[pk]})
			cur = k
		}
		l := &p.Lines[len(p.Lines)-1]
		l.Words = append(l.Words, Word{Text: text, Conf: conf,
			Box: image.Rect(v[6], v[7], v[6]+v[8], v[7]+v[9])})
	}
	return pages, sc.Err()
}
