package ocr

import (
	"fmt"
	"image"
	"image/draw"
)

// toGray returns img as 8-bit grey, which is what the recogniser reads
// best and the smallest thing to hand it.
func toGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Bounds().Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
	return g
}

// encodePGM writes img as a binary PGM (P5): no compression to spend time
// on, and every Tesseract build reads it.
func encodePGM(img *image.Gray) []byte {
	b := img.Bounds()
	head := fmt.Sprintf("P5\n%d %d\n255\n", b.Dx(), b.Dy())
	out := make([]byte, 0, len(head)+b.Dx()*b.Dy())
	out = append(out, head...)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := img.PixOffset(b.Min.X, y)
		out = append(out, img.Pix[i:i+b.Dx()]...)
	}
	return out
}

// rotateGray turns img clockwise by deg (90, 180 or 270).
func rotateGray(img *image.Gray, deg int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var out *image.Gray
	if deg == 180 {
		out = image.NewGray(image.Rect(0, 0, w, h))
	} else {
		out = image.NewGray(image.Rect(0, 0, h, w))
	}
	for y := 0; y < h; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < w; x++ {
			nx, ny := rotatePoint(x, y, w, h, deg)
			out.Pix[ny*out.Stride+nx] = row[x]
		}
	}
	return out
}

// rotatePoint maps pixel (x, y) of a w × h image to its place after a
// clockwise turn by deg.
func rotatePoint(x, y, w, h, deg int) (int, int) {
	switch deg {
	case 90:
		return h - 1 - y, x
	case 180:
		return w - 1 - x, h - 1 - y
	case 270:
		return y, w - 1 - x
	}
	return x, y
}

// unrotate maps the boxes of a page read after a clockwise turn by deg
// back to the pixels of the original w × h image.
func unrotate(p *Page, deg, w, h int) {
	back := (360 - deg) % 360
	// The turned image is h × w for quarter turns.
	rw, rh := w, h
	if deg != 180 {
		rw, rh = h, w
	}
	for i := range p.Lines {
		for j := range p.Lines[i].Words {
			r := p.Lines[i].Words[j].Box
			x0, y0 := rotatePoint(r.Min.X, r.Min.Y, rw, rh, back)
			x1, y1 := rotatePoint(r.Max.X-1, r.Max.Y-1, rw, rh, back)
			p.Lines[i].Words[j].Box = image.Rect(x0, y0, x1+1, y1+1).Canon()
		}
	}
	p.Width, p.Height = w, h
}
