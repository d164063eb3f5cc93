package index

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"
)

// A vector file is the compact, searchable copy of one embedding model's
// vectors in a library folder, beside the database that remains their
// record. Opening a library maps it instead of reading every vector out
// of the database: search scans its one-bit codes (the sign of each
// dimension after the library's mean is taken away, 48 bytes for 384
// dimensions, mapped) and scores the best candidates exactly with their
// full vectors, read from the file (never held in memory). The file is a
// cache: a missing, old or broken one is rebuilt from the database, and
// what changed since it was written is read back from the database's log
// of vector changes (vector_log).
//
// Layout, little-endian, each section aligned to 64 bytes:
//
//	header (vfHeaderSize bytes): magic, dims, n, seq, libraries, model length, mean samples
//	model name
//	library table: per library (id, first entry, entries), by id
//	mean: float32 × dims
//	ids: int64 × n, ascending within each library
//	bits: uint64 × words × n
//	vectors: float32 × dims × n, as the database stores them
//
// seq is the last vector_log entry the file includes: it holds exactly the
// model's vectors as the database held them after that entry.

const (
	vfMagic      = "CARRELV1"
	vfHeaderSize = 64
	vfAlign      = 64
)

// errVecFile is a vector file that cannot be used (and will be rebuilt).
var errVecFile = errors.New("index: unusable vector file")

type vfHeader struct {
	dims        int
	n           int
	seq         int64
	libs        int
	modelLen    int
	meanSamples int // vectors the mean was computed from
}

// vfLayout is where each section of a file with this header lies.
type vfLayout struct {
	words                                   int // uint64 words of a vector's bits
	recLen                                  int // bytes of a full vector
	model, libs, mean, ids, bits, vecs, end int64
}

func align(n int64) int64 { return (n + vfAlign - 1) / vfAlign * vfAlign }

func (h vfHeader) layout() vfLayout {
	l := vfLayout{words: (h.dims + 63) / 64, recLen: h.dims * 4}
	l.model = vfHeaderSize
	l.libs = align(l.model + int64(h.modelLen))
	l.mean = align(l.libs + int64(h.libs)*24)
	l.ids = align(l.mean + int64(h.dims)*4)
	l.bits = align(l.ids + int64(h.n)*8)
	l.vecs = align(l.bits + int64(h.n)*int64(l.words)*8)
	l.end = l.vecs + int64(h.n)*int64(l.recLen)
	return l
}

func (h vfHeader) encode() []byte {
	b := make([]byte, vfHeaderSize)
	copy(b, vfMagic)
	binary.LittleEndian.PutUint32(b[8:], uint32(h.dims))
	binary.LittleEndian.PutUint64(b[16:], uint64(h.n))
	binary.LittleEndian.PutUint64(b[24:], uint64(h.seq))
	binary.LittleEndian.PutUint32(b[32:], uint32(h.libs))
	binary.LittleEndian.PutUint32(b[36:], uint32(h.modelLen))
	binary.LittleEndian.PutUint64(b[40:], uint64(h.meanSamples))
	return b
}

func decodeHeader(b []byte) (vfHeader, error) {
	if len(b) < vfHeaderSize || string(b[:8]) != vfMagic {
		return vfHeader{}, errVecFile
	}
	h := vfHeader{
		dims:        int(binary.LittleEndian.Uint32(b[8:])),
		n:           int(binary.LittleEndian.Uint64(b[16:])),
		seq:         int64(binary.LittleEndian.Uint64(b[24:])),
		libs:        int(binary.LittleEndian.Uint32(b[32:])),
		modelLen:    int(binary.LittleEndian.Uint32(b[36:])),
		meanSamples: int(binary.LittleEndian.Uint64(b[40:])),
	}
	if h.dims < 1 || h.dims > 1<<16 || h.n < 0 || h.n > 1<<40 || h.libs < 0 || h.libs > 1<<20 || h.modelLen > 4096 || h.seq < 0 {
		return vfHeader{}, errVecFile
	}
	return h, nil
}

// vecFileName names a model's vector file covering the log up to seq: one
// file per state, so a newer file never replaces one another process has
// mapped (Windows refuses that), and the newest is the highest seq.
func vecFileName(model string, seq int64) string {
	return fmt.Sprintf("vectors-%s-%d.cvec", modelTag(model), seq)
}

func modelTag(model string) string {
	s := sha256.Sum256([]byte(model))
	return hex.EncodeToString(s[:6])
}

// vecFiles lists a model's vector files in dir, newest first.
func vecFiles(dir, model string) []vecFileRef {
	prefix := "vectors-" + modelTag(model) + "-"
	ents, _ := os.ReadDir(dir)
	var out []vecFileRef
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".cvec") {
			continue
		}
		seq, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".cvec"), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, vecFileRef{path: filepath.Join(dir, name), seq: seq})
	}
	slices.SortFunc(out, func(a, b vecFileRef) int { return int(b.seq - a.seq) })
	return out
}

type vecFileRef struct {
	path string
	seq  int64
}

// vfLib is one library's range of entries in a vector file.
type vfLib struct {
	id           int64
	first, count int
}

// vecFile is an open vector file: its small sections mapped, its full
// vectors read when a search scores its candidates.
type vecFile struct {
	path  string
	model string
	h     vfHeader
	l     vfLayout
	f     *os.File
	m     *mapping
	libs  []vfLib
	mean  []float32
	ids   []int64
	bits  []uint64
	// refs counts its users: the loader while it makes the stores, then
	// each store (see release).
	refs atomic.Int32
}

// openVecFile maps a vector file of model, checking that it is whole.
func openVecFile(path, model string) (*vecFile, error) {
	if !littleEndian {
		return nil, fmt.Errorf("%w: this machine is big-endian", errVecFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	hb := make([]byte, vfHeaderSize)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return nil, fmt.Errorf("%w: %v", errVecFile, err)
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return nil, err
	}
	l := h.layout()
	if st.Size() != l.end {
		return nil, fmt.Errorf("%w: %s is %d bytes, its header says %d", errVecFile, filepath.Base(path), st.Size(), l.end)
	}
	// Everything but the full vectors is mapped: the bits are scanned by
	// every search; the vectors are read for the candidates only.
	m, err := mapFile(f, l.vecs)
	if err != nil {
		return nil, err
	}
	b := m.data
	vf := &vecFile{path: path, model: model, h: h, l: l, f: f, m: m}
	if string(b[l.model:l.model+int64(h.modelLen)]) != model {
		m.unmap()
		return nil, fmt.Errorf("%w: %s is of another model", errVecFile, filepath.Base(path))
	}
	total := 0
	for i := 0; i < h.libs; i++ {
		o := l.libs + int64(i)*24
		lib := vfLib{id: int64(binary.LittleEndian.Uint64(b[o:])), first: int(binary.LittleEndian.Uint64(b[o+8:])),
			count: int(binary.LittleEndian.Uint64(b[o+16:]))}
		if lib.first != total || lib.count < 0 {
			m.unmap()
			return nil, fmt.Errorf("%w: %s has a broken library table", errVecFile, filepath.Base(path))
		}
		total += lib.count
		vf.libs = append(vf.libs, lib)
	}
	if total != h.n {
		m.unmap()
		return nil, fmt.Errorf("%w: %s has a broken library table", errVecFile, filepath.Base(path))
	}
	vf.mean = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b[l.mean:]))), h.dims)
	if h.n > 0 {
		vf.ids = unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(b[l.ids:]))), h.n)
		vf.bits = unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b[l.bits:]))), h.n*l.words)
	}
	vf.refs.Store(1)
	ok = true
	return vf, nil
}

// close unmaps the file. Nothing may use its slices afterwards: the index
// closes a file only under its write lock, when no search runs.
func (vf *vecFile) close() {
	if vf.m != nil {
		vf.m.unmap()
		vf.m = nil
	}
	vf.f.Close()
}

// vector reads entry i's full vector into v (of dims floats).
func (vf *vecFile) vector(i int, v []float32) error {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4)
	_, err := vf.f.ReadAt(b, vf.l.vecs+int64(i)*int64(vf.l.recLen))
	return err
}

// vecFileWriter writes a vector file entry by entry, in the order of its
// library table, into a temporary file renamed into place when complete.
type vecFileWriter struct {
	h        vfHeader
	l        vfLayout
	model    string
	libs     []vfLib
	mean     []float32
	f        *os.File
	ids      *sectionWriter
	bits     *sectionWriter
	vecs     *sectionWriter
	written  int
	bitBuf   []uint64
	tmp, dst string
}

// sectionWriter buffers writes at increasing offsets of one section.
type sectionWriter struct {
	f   *os.File
	off int64
	buf []byte
}

func (s *sectionWriter) write(b []byte) error {
	if len(s.buf)+len(b) > cap(s.buf) {
		if err := s.flush(); err != nil {
			return err
		}
	}
	s.buf = append(s.buf, b...)
	return nil
}

func (s *sectionWriter) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.f.WriteAt(s.buf, s.off)
	s.off += int64(len(s.buf))
	s.buf = s.buf[:0]
	return err
}

// newVecFileWriter starts the file of model at seq in dir, for the given
// libraries (their counts fixed), with the mean the bits are taken from.
func newVecFileWriter(dir, model string, seq int64, dims int, libs []vfLib, mean []float32, meanSamples int) (*vecFileWriter, error) {
	n := 0
	for i := range libs {
		libs[i].first = n
		n += libs[i].count
	}
	h := vfHeader{dims: dims, n: n, seq: seq, libs: len(libs), modelLen: len(model), meanSamples: meanSamples}
	dst := filepath.Join(dir, vecFileName(model, seq))
	f, err := os.CreateTemp(dir, ".vectors-*.tmp")
	if err != nil {
		return nil, err
	}
	l := h.layout()
	w := &vecFileWriter{h: h, l: l, model: model, libs: libs, mean: mean, f: f, tmp: f.Name(), dst: dst,
		ids:    &sectionWriter{f: f, off: l.ids, buf: make([]byte, 0, 1<<16)},
		bits:   &sectionWriter{f: f, off: l.bits, buf: make([]byte, 0, 1<<18)},
		vecs:   &sectionWriter{f: f, off: l.vecs, buf: make([]byte, 0, 1<<20)},
		bitBuf: make([]uint64, l.words),
	}
	return w, nil
}

// add writes the next entry from its full vector.
func (w *vecFileWriter) add(id int64, v []float32) error {
	if len(v) != w.h.dims {
		return fmt.Errorf("index: a vector of %d dimensions in a file of %d", len(v), w.h.dims)
	}
	signBits(v, w.mean, w.bitBuf)
	return w.addCoded(id, w.bitBuf, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4))
}

// addCoded writes the next entry from its bits and its vector's bytes
// (an entry kept from an older file with the same mean).
func (w *vecFileWriter) addCoded(id int64, bitv []uint64, rec []byte) error {
	if w.written >= w.h.n {
		return fmt.Errorf("index: more vectors than the file was sized for")
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(id))
	if err := w.ids.write(b[:]); err != nil {
		return err
	}
	for _, x := range bitv {
		binary.LittleEndian.PutUint64(b[:], x)
		if err := w.bits.write(b[:]); err != nil {
			return err
		}
	}
	if err := w.vecs.write(rec); err != nil {
		return err
	}
	w.written++
	return nil
}

// finish writes the small sections, syncs and renames the file into place.
func (w *vecFileWriter) finish() (string, error) {
	if w.written != w.h.n {
		w.abort()
		return "", fmt.Errorf("index: the vectors changed while their file was written (%d of %d)", w.written, w.h.n)
	}
	for _, s := range []*sectionWriter{w.ids, w.bits, w.vecs} {
		if err := s.flush(); err != nil {
			w.abort()
			return "", err
		}
	}
	head := make([]byte, w.l.ids)
	copy(head, w.h.encode())
	copy(head[w.l.model:], w.model)
	for i, lib := range w.libs {
		o := w.l.libs + int64(i)*24
		binary.LittleEndian.PutUint64(head[o:], uint64(lib.id))
		binary.LittleEndian.PutUint64(head[o+8:], uint64(lib.first))
		binary.LittleEndian.PutUint64(head[o+16:], uint64(lib.count))
	}
	for i, x := range w.mean {
		binary.LittleEndian.PutUint32(head[w.l.mean+int64(i)*4:], math.Float32bits(x))
	}
	if _, err := w.f.WriteAt(head, 0); err != nil {
		w.abort()
		return "", err
	}
	if err := w.f.Truncate(w.l.end); err != nil {
		w.abort()
		return "", err
	}
	if err := w.f.Sync(); err != nil {
		w.abort()
		return "", err
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.tmp)
		return "", err
	}
	if err := os.Rename(w.tmp, w.dst); err != nil {
		os.Remove(w.tmp)
		return "", err
	}
	return w.dst, nil
}

func (w *vecFileWriter) abort() {
	w.f.Close()
	os.Remove(w.tmp)
}

// signBits sets out to the signs of v − mean, one bit a dimension.
func signBits(v, mean []float32, out []uint64) {
	clear(out)
	for j, x := range v {
		if x > mean[j] {
			out[j>>6] |= 1 << (j & 63)
		}
	}
}

// hamming counts the bits in which a and b differ.
func hamming(a, b []uint64) int {
	d := 0
	for i := range a {
		d += bits.OnesCount64(a[i] ^ b[i])
	}
	return d
}
