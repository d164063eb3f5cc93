// Command icon renders assets/icon.svg to PNG files: icon.png (512 px) for
// the app and, with -sizes, the smaller sizes desktop environments use.
//
//	go run ./packaging/icon -out assets/icon.png
//	go run ./packaging/icon -out dist/icons -sizes 16,32,48,64,128,256,512
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
)

func main() {
	in := flag.String("in", "assets/icon.svg", "SVG source")
	out := flag.String("out", "assets/icon.png", "PNG file, or a folder with -sizes")
	sizes := flag.String("sizes", "", "comma-separated sizes; writes icon-N.png into -out")
	flag.Parse()
	src, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	if *sizes == "" {
		if err := render(src, 512, *out); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 8 || n > 2048 {
			log.Fatalf("bad size %q", s)
		}
		if err := render(src, n, filepath.Join(*out, fmt.Sprintf("icon-%d.png", n))); err != nil {
			log.Fatal(err)
		}
	}
}

func render(src []byte, size int, path string) error {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(src))
	if err != nil {
		return err
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	icon.Draw(rasterx.NewDasher(size, size, rasterx.NewScannerGV(size, size, img, img.Bounds())), 1)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
