package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/carrel-ai/carrel/lab"
)

func benchOCRCmd() *command {
	fs := flag.NewFlagSet("bench ocr", flag.ContinueOnError)
	dpis := fs.String("dpi", "200,300,400", "resolutions to compare, comma-separated")
	pages := fs.Int("pages", 5, "most pages taken from each PDF")
	langs := fs.String("lang", "", "Tesseract language packs, such as eng or chi_sim+eng (default: automatic, as indexing does)")
	asJSON := fs.Bool("json", false, "print JSON, with every page")
	return &command{
		Name: "bench ocr", Usage: "[--dpi 200,300,400] [--pages N] [--lang L] PDF|PICTURE...",
		Short: "draw text pages of PDFs as scans, read them back with OCR, and report the character error rate against their text layer and pages/s, per resolution; a picture is scored against the transcription beside it (scan.png: scan.txt)",
		Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) == 0 {
				return usagef("give PDFs with a text layer to draw as scans, or pictures with a transcription beside them")
			}
			var list []int
			for _, f := range strings.Split(*dpis, ",") {
				d, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || d < 50 || d > 1200 {
					return usagef("--dpi takes resolutions from 50 to 1200, such as 200,300 (not %q)", f)
				}
				list = append(list, d)
			}
			if *pages < 1 {
				return usagef("--pages must be at least 1")
			}
			progress := func(p lab.OCRBenchPage) {
				fmt.Fprintf(os.Stderr, "\r\033[K%s page %d at %d dpi: CER %.2f%%, %.1f s", p.File, p.Page, p.DPI, 100*p.CER, p.Seconds)
			}
			if *asJSON {
				progress = nil
			}
			r, err := lab.MeasureOCR(ctx, lab.OCRBenchOptions{Files: args, DPIs: list, Pages: *pages, Languages: *langs}, progress)
			if err != nil {
				return explain(err)
			}
			if *asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			fmt.Fprint(os.Stderr, "\r\033[K")
			using := strings.Join(r.OCR.Using, "+")
			if r.OCR.Automatic {
				using = "chosen per page by script among " + strings.Join(r.OCR.Using, ", ")
			}
			fmt.Printf("Tesseract %s, languages %s, one page at a time\n\n", r.OCR.Version, using)
			fmt.Printf("| dpi | pages | characters | CER | median page CER | words missed, any order | pages/s |\n|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, row := range r.Rows {
				dpi := strconv.Itoa(row.DPI)
				if row.DPI == 0 {
					dpi = "pictures as given"
				}
				fmt.Printf("| %s | %d | %d | %.2f%% | %.2f%% | %.2f%% | %.2f |\n", dpi, row.Pages, row.Chars, 100*row.CER, 100*row.MedianCER, 100*row.WordErrors, row.PagesPerSec)
			}
			return nil
		},
	}
}
