package ocr

import (
	"fmt"
	"image"
	"image/draw"
)

// Gray returns img as 8-bit grey at the origin, which is what the
// recogniser reads best and the smallest thing to hand it (img itself when
// it is that already). RGBA, what PDFium draws, is converted directly.
func Gray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Bounds().Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	rgba, ok := img.(*image.RGBA)
	if !ok {
		draw.Draw(g, g.Bounds(), img, b.Min, draw.Src)
		return g
	}
	for y := 0; y < b.Dy(); y++ {
		row := rgba.Pix[rgba.PixOffset(b.Min.X, b.Min.Y+y):]
		out := g.Pix[y*g.Stride:]
		for x := 0; x < b.Dx(); x++ {
			r, gg, bl := int(row[4*x]), int(row[4*x+1]), int(row[4*x+2])
			out[x] = uint8((299*r + 587*gg + 114*bl) / 1000)
		}
	}
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

// shrink returns img reduced by a whole factor to at most width pixels
// wide (img itself when it is narrower), each pixel the mean of its block.
func shrink(img *image.Gray, width int) *image.Gray {
	b := img.Bounds()
	f := (b.Dx() + width - 1) / width
	if f <= 1 {
		return img
	}
	w, h := b.Dx()/f, b.Dy()/f
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum := 0
			for dy := 0; dy < f; dy++ {
				row := img.Pix[img.PixOffset(b.Min.X+x*f, b.Min.Y+y*f+dy):]
				for dx := 0; dx < f; dx++ {
					sum += int(row[dx])
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / (f * f))
		}
	}
	return out
}
