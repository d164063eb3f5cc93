package docs

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"github.com/carrel-ai/carrel/engine/failure"
	"io"
)

// inflateBudget bounds what a PDF's compressed streams may inflate to
// before PDFium is given the file. PDFium works through every byte a
// content stream inflates to: a 2 MiB file whose page inflates to 512 MiB
// kept it busy until the parse's time limit. Counting the inflated bytes
// in Go refuses such a file in a fraction of a second instead.
type inflateBudget struct {
	// stream is the most one stream may inflate to. More could not be
	// held by PDFium's 256 MiB sandbox anyway.
	stream int64
	// total is the most all streams together may inflate to, and ratio
	// raises it for large files: a long lossless scan inflates to
	// gigabytes at a few times its size, a bomb at hundreds of times.
	total int64
	ratio int64
}

var pdfInflateBudget = inflateBudget{stream: 128 << 20, total: 512 << 20, ratio: 100}

// maxNestedInflate is how many zlib layers one stream is followed through
// (a /Filter [/FlateDecode /FlateDecode] bomb hides its size one layer down).
const maxNestedInflate = 3

// check inflates every zlib stream in data, counting and discarding the
// output, and returns a too-large error once a budget is exceeded. It
// does not parse the PDF: it tries every "stream" keyword, so streams
// behind damaged cross-references or indirect /Length values are
// counted too. Streams that are not zlib (JPEG, encrypted or raw data)
// fail the two-byte header check at once and are skipped; a damaged
// stream counts what inflated before the damage.
func (b inflateBudget) check(ctx context.Context, data []byte) error {
	total := max(b.total, b.ratio*int64(len(data)))
	var sum int64
	for at := 0; ; {
		i := bytes.Index(data[at:], []byte("stream"))
		if i < 0 {
			return nil
		}
		start := at + i + len("stream")
		at = start
		if i > 0 && data[start-len("stream")-1] == 'd' { // "endstream"
			continue
		}
		start = skipEOL(data, start)
		if start >= len(data) || !zlibHeader(data[start:]) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		src := bytes.NewReader(data[start:])
		n := b.stream
		if left := total - sum; left < n {
			n = left
		}
		got := inflateCount(src, n+1)
		sum += got
		if got > b.stream {
			return &ParseError{Err: failure.ErrTooLarge, Detail: fmt.Sprintf("a compressed stream inflates beyond %d MiB (a decompression bomb?)", b.stream>>20)}
		}
		if sum > total {
			return &ParseError{Err: failure.ErrTooLarge, Detail: fmt.Sprintf("its compressed streams inflate beyond %d MiB (a decompression bomb?)", total>>20)}
		}
		// Go on after the compressed bytes read, not inside them.
		at = max(at, len(data)-src.Len())
	}
}

// inflateCount inflates src, and the zlib layers inside it, into nothing
// and returns how many bytes came out, stopping at limit.
func inflateCount(src io.Reader, limit int64) int64 {
	var r io.Reader = src
	for layer := 0; layer < maxNestedInflate; layer++ {
		z, err := zlib.NewReader(r)
		if err != nil {
			break
		}
		defer z.Close()
		br := bufio.NewReader(z)
		r = br
		if head, err := br.Peek(2); err != nil || !zlibHeader(head) {
			break
		}
	}
	if r == src {
		return 0
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(r, limit))
	return n
}

// zlibHeader reports whether b starts with a valid zlib header: deflate,
// a window of at most 32 KiB, no preset dictionary, and the checksum.
func zlibHeader(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	cmf, flg := b[0], b[1]
	return cmf&0x0f == 8 && cmf>>4 <= 7 && flg&0x20 == 0 && (uint16(cmf)<<8|uint16(flg))%31 == 0
}

// skipEOL skips the end of line that follows a "stream" keyword (CRLF or
// LF; a lone CR is tolerated).
func skipEOL(data []byte, i int) int {
	if i < len(data) && data[i] == '\r' {
		i++
	}
	if i < len(data) && data[i] == '\n' {
		i++
	}
	return i
}
