package docs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/carrel-ai/carrel/engine/failure"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// Image is a picture of pages (a scan, a photographed page): PNG, JPEG,
// TIFF (each page of a multi-page TIFF), WebP, GIF or BMP. Its text is
// read by OCR.
const Image Format = "image"

// Limits on pictures, which are decoded in Go memory: a 600 dpi A3 scan
// is 70 megapixels.
const (
	maxImagePixels = 100 << 20
	maxImagePages  = 2000
)

// imageKinds are the picture formats read, by magic number.
var imageKinds = []struct {
	prefix, kind string
}{
	{"\x89PNG\r\n\x1a\n", "png"}, {"\xFF\xD8\xFF", "jpeg"}, {"II*\x00", "tiff"}, {"MM\x00*", "tiff"},
	{"GIF87a", "gif"}, {"GIF89a", "gif"},
}

// imageKind names the picture format of a file's first bytes, "" when
// it is none Carrel reads.
func imageKind(head []byte, ext string) string {
	for _, k := range imageKinds {
		if bytes.HasPrefix(head, []byte(k.prefix)) {
			return k.kind
		}
	}
	if len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WEBP" {
		return "webp"
	}
	// "BM" is too short a signature to trust alone.
	if bytes.HasPrefix(head, []byte("BM")) && ext == ".bmp" {
		return "bmp"
	}
	return ""
}

// parseImage checks a picture and counts its pages; their text is read
// by the OCR stage (see recognize).
func parseImage(d *Document, data []byte) error {
	kind := imageKind(data[:min(len(data), 64)], "")
	if kind == "" {
		kind = "bmp"
	}
	pages := 1
	if kind == "tiff" {
		offs, err := tiffPages(data)
		if err != nil {
			return &ParseError{Err: failure.ErrCorrupt, Detail: "its TIFF structure cannot be read: " + err.Error()}
		}
		pages = len(offs)
	}
	if pages > maxImagePages {
		d.warnf("only the first %d of %d pages were read", maxImagePages, pages)
		pages = maxImagePages
	}
	// Check the size of every page before anything is decoded: a
	// picture's header can claim any size.
	for p := 1; p <= pages; p++ {
		r, err := imageReader(data, kind, p)
		if err != nil {
			return err
		}
		cfg, err := decodeConfig(r, kind)
		if err != nil {
			return &ParseError{Page: p, Err: failure.ErrCorrupt, Detail: "the picture cannot be read: " + err.Error()}
		}
		if px := int64(cfg.Width) * int64(cfg.Height); px > maxImagePixels || cfg.Width <= 0 || cfg.Height <= 0 {
			return &ParseError{Page: p, Err: failure.ErrTooLarge, Detail: fmt.Sprintf("a picture of %d × %d pixels is over the limit of %d megapixels", cfg.Width, cfg.Height, maxImagePixels>>20)}
		}
	}
	d.Pages = pages
	for p := 1; p <= pages; p++ {
		d.scanned = append(d.scanned, p)
	}
	return nil
}

// DecodeImagePage decodes page (1-based) of a picture file's content.
func DecodeImagePage(data []byte, page int) (image.Image, error) {
	kind := imageKind(data[:min(len(data), 64)], ".bmp")
	if kind == "" {
		return nil, &ParseError{Err: failure.ErrUnsupported, Detail: "it is not a picture Carrel reads"}
	}
	r, err := imageReader(data, kind, page)
	if err != nil {
		return nil, err
	}
	cfg, err := decodeConfig(r, kind)
	if err != nil {
		return nil, &ParseError{Page: page, Err: failure.ErrCorrupt, Detail: err.Error()}
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxImagePixels {
		return nil, &ParseError{Page: page, Err: failure.ErrTooLarge, Detail: "the picture is too large"}
	}
	r, _ = imageReader(data, kind, page)
	img, err := decodeImage(r, kind)
	if err != nil {
		return nil, &ParseError{Page: page, Err: failure.ErrCorrupt, Detail: "the picture cannot be decoded: " + err.Error()}
	}
	return img, nil
}

// codecs are the decoders of each picture format: the header alone, and
// the whole picture.
var codecs = map[string]struct {
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}{
	"png":  {png.DecodeConfig, png.Decode},
	"jpeg": {jpeg.DecodeConfig, jpeg.Decode},
	"gif":  {gif.DecodeConfig, gif.Decode},
	"tiff": {tiff.DecodeConfig, tiff.Decode},
	"webp": {webp.DecodeConfig, webp.Decode},
	"bmp":  {bmp.DecodeConfig, bmp.Decode},
}

func decodeConfig(r io.Reader, kind string) (image.Config, error) {
	return codecs[kind].config(r)
}

func decodeImage(r io.Reader, kind string) (image.Image, error) {
	return codecs[kind].decode(r)
}

// imageReader returns a reader of page (1-based) of a picture: the file
// itself, or for page n of a TIFF the file seen with its first-page
// pointer moved to page n (Go's TIFF decoder reads only the first).
func imageReader(data []byte, kind string, page int) (io.Reader, error) {
	if kind != "tiff" {
		if page != 1 {
			return nil, &ParseError{Page: page, Err: failure.ErrCorrupt, Detail: "the picture has one page"}
		}
		return bytes.NewReader(data), nil
	}
	offs, err := tiffPages(data)
	if err != nil || page < 1 || page > len(offs) {
		return nil, &ParseError{Page: page, Err: failure.ErrCorrupt, Detail: "the TIFF page cannot be found"}
	}
	return &tiffPage{data: data, first: offs[page-1], order: tiffOrder(data)}, nil
}

func tiffOrder(data []byte) binary.ByteOrder {
	if data[0] == 'M' {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// tiffPages returns the offsets of the image directories of a TIFF, one
// per page, following the chain from the header (a loop ends it).
func tiffPages(data []byte) ([]uint32, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("too short")
	}
	bo := tiffOrder(data)
	var out []uint32
	seen := map[uint32]bool{}
	off := bo.Uint32(data[4:8])
	for off != 0 && len(out) <= maxImagePages {
		if seen[off] || int64(off)+2 > int64(len(data)) {
			break
		}
		seen[off] = true
		n := int64(bo.Uint16(data[off:]))
		next := int64(off) + 2 + 12*n
		if next+4 > int64(len(data)) {
			break
		}
		out = append(out, off)
		off = bo.Uint32(data[next:])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no image directory")
	}
	return out, nil
}

// tiffPage reads a TIFF as if its first directory were another one.
type tiffPage struct {
	data  []byte
	first uint32
	order binary.ByteOrder
	pos   int64
}

func (t *tiffPage) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(t.data)) {
		return 0, io.EOF
	}
	n := copy(p, t.data[off:])
	// Overlay the header's pointer to the first directory.
	var head [4]byte
	t.order.PutUint32(head[:], t.first)
	for i := 0; i < 4; i++ {
		if at := 4 + int64(i) - off; at >= 0 && at < int64(n) {
			p[at] = head[i]
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (t *tiffPage) Read(p []byte) (int, error) {
	n, err := t.ReadAt(p, t.pos)
	t.pos += int64(n)
	return n, err
}
