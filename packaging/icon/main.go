// Command icon renders assets/icon.svg to PNG files: icon.png (512 px) for
// the app and, with -sizes, the smaller sizes desktop environments use.
//
//	go run ./packaging/icon -out assets/icon.png
//	go run ./packaging/icon -out dist/icons -sizes 16,32,48,64,128,256,512
//	go run ./packaging/icon -ico dist/carrel.ico   (Windows: 16 to 256 px in one file)
package main

import (
	"bytes"
	"encoding/binary"
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
	ico := flag.String("ico", "", "write a Windows .ico file (16, 32, 48, 64, 128 and 256 px) here instead")
	flag.Parse()
	src, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	if *ico != "" {
		if err := writeICO(src, *ico); err != nil {
			log.Fatal(err)
		}
		return
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
	b, err := renderPNG(src, size)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func renderPNG(src []byte, size int) ([]byte, error) {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	icon.Draw(rasterx.NewDasher(size, size, rasterx.NewScannerGV(size, size, img, img.Bounds())), 1)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeICO writes an .ico file whose images are PNGs, as Windows Vista
// and later read them.
func writeICO(src []byte, path string) error {
	sizes := []int{16, 32, 48, 64, 128, 256}
	var imgs [][]byte
	for _, s := range sizes {
		b, err := renderPNG(src, s)
		if err != nil {
			return err
		}
		imgs = append(imgs, b)
	}
	var out bytes.Buffer
	le := func(v any) { binary.Write(&out, binary.LittleEndian, v) }
	le(uint16(0))          // reserved
	le(uint16(1))          // type: icon
	le(uint16(len(sizes))) // count
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		dim := uint8(s)
		if s >= 256 {
			dim = 0 // 0 means 256
		}
		out.WriteByte(dim)
		out.WriteByte(dim)
		out.WriteByte(0) // palette
		out.WriteByte(0) // reserved
		le(uint16(1))    // colour planes
		le(uint16(32))   // bits per pixel
		le(uint32(len(imgs[i])))
		le(uint32(offset))
		offset += len(imgs[i])
	}
	for _, b := range imgs {
		out.Write(b)
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}
