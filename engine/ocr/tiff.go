package ocr

import (
	"encoding/binary"
	"image"
)

// encodeTIFF writes imgs as the pages of one uncompressed 8-bit grey
// TIFF, each at dpi (none stored when 0): how several images reach one
// Tesseract run, which reads every page on its own and numbers its
// output by page. Little-endian, one strip per page; the pixels of a
// page come before its directory.
func encodeTIFF(imgs []*image.Gray, dpi int) []byte {
	size := 8
	for _, g := range imgs {
		size += g.Bounds().Dx()*g.Bounds().Dy() + 1 + 8 + 2 + 12*12 + 4
	}
	out := make([]byte, 8, size)
	copy(out, "II*\x00")
	le := binary.LittleEndian
	next := 4 // where the offset of the next directory goes
	for _, g := range imgs {
		b := g.Bounds()
		w, h := b.Dx(), b.Dy()
		pixels := len(out)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := g.PixOffset(b.Min.X, y)
			out = append(out, g.Pix[i:i+w]...)
		}
		if len(out)%2 == 1 {
			out = append(out, 0) // values and directories start on a word boundary
		}
		// The resolution, a rational: dpi/1.
		res := len(out)
		out = le.AppendUint32(out, uint32(max(dpi, 1)))
		out = le.AppendUint32(out, 1)
		le.PutUint32(out[next:], uint32(len(out)))
		type entry struct {
			tag, kind uint16
			value     uint32
		}
		const short, long, rational = 3, 4, 5
		entries := []entry{
			{256, long, uint32(w)},       // image width
			{257, long, uint32(h)},       // image length
			{258, short, 8},              // bits per sample
			{259, short, 1},              // no compression
			{262, short, 1},              // black is zero
			{273, long, uint32(pixels)},  // strip offset
			{277, short, 1},              // samples per pixel
			{278, long, uint32(h)},       // rows per strip
			{279, long, uint32(w * h)},   // strip byte count
			{282, rational, uint32(res)}, // x resolution
			{283, rational, uint32(res)}, // y resolution
			{296, short, 2},              // resolution in inches
		}
		if dpi <= 0 {
			entries = entries[:9]
		}
		out = le.AppendUint16(out, uint16(len(entries)))
		for _, e := range entries {
			out = le.AppendUint16(out, e.tag)
			out = le.AppendUint16(out, e.kind)
			out = le.AppendUint32(out, 1)
			if e.kind == short {
				out = le.AppendUint16(out, uint16(e.value))
				out = append(out, 0, 0)
			} else {
				out = le.AppendUint32(out, e.value)
			}
		}
		next = len(out)
		out = le.AppendUint32(out, 0) // no next directory yet
	}
	return out
}
