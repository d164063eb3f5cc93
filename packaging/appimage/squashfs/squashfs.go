// Package squashfs reads the SquashFS 4.0 images that mksquashfs writes
// for an AppImage: gzip-compressed (or uncompressed) metadata and data,
// without fragments (mksquashfs -no-fragments) or extended attributes.
// It extracts a whole image into a folder, which is all the AppImage
// runtime of Carrel needs; anything else in an image is refused with an
// error that names it.
package squashfs

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Image is an opened SquashFS image inside r (at r's offset 0).
type Image struct {
	r  io.ReaderAt
	sb superblock
}

type superblock struct {
	Magic             uint32
	InodeCount        uint32
	ModTime           uint32
	BlockSize         uint32
	FragCount         uint32
	Compression       uint16
	BlockLog          uint16
	Flags             uint16
	IDCount           uint16
	Major, Minor      uint16
	RootInode         uint64
	BytesUsed         uint64
	IDTableStart      uint64
	XattrIDTableStart uint64
	InodeTableStart   uint64
	DirTableStart     uint64
	FragTableStart    uint64
	ExportTableStart  uint64
}

const (
	magic    = 0x73717368
	gzipComp = 1
)

// Open reads the superblock of the image in r.
func Open(r io.ReaderAt) (*Image, error) {
	var sb superblock
	if err := binary.Read(io.NewSectionReader(r, 0, 96), binary.LittleEndian, &sb); err != nil {
		return nil, fmt.Errorf("squashfs: reading the superblock: %w", err)
	}
	switch {
	case sb.Magic != magic:
		return nil, errors.New("squashfs: not a SquashFS image")
	case sb.Major != 4:
		return nil, fmt.Errorf("squashfs: version %d.%d (4.0 is read)", sb.Major, sb.Minor)
	case sb.Compression != gzipComp:
		return nil, fmt.Errorf("squashfs: compression %d (gzip, 1, is read)", sb.Compression)
	case sb.BlockSize == 0 || sb.BlockSize > 1<<20:
		return nil, fmt.Errorf("squashfs: block size %d", sb.BlockSize)
	}
	return &Image{r: r, sb: sb}, nil
}

// metaReader reads the metadata blocks of a table from one position on,
// decompressing them in turn.
type metaReader struct {
	img  *Image
	next int64 // the image offset of the next block
	buf  []byte
}

func (im *Image) meta(table uint64, block uint64, offset uint16) (*metaReader, error) {
	m := &metaReader{img: im, next: int64(table + block)}
	if err := m.fill(); err != nil {
		return nil, err
	}
	if int(offset) > len(m.buf) {
		return nil, fmt.Errorf("squashfs: metadata offset %d beyond its block", offset)
	}
	m.buf = m.buf[offset:]
	return m, nil
}

func (m *metaReader) fill() error {
	var hdr [2]byte
	if _, err := m.img.r.ReadAt(hdr[:], m.next); err != nil {
		return fmt.Errorf("squashfs: metadata at %d: %w", m.next, err)
	}
	h := binary.LittleEndian.Uint16(hdr[:])
	size := int64(h & 0x7fff)
	raw := make([]byte, size)
	if _, err := m.img.r.ReadAt(raw, m.next+2); err != nil {
		return fmt.Errorf("squashfs: metadata at %d: %w", m.next, err)
	}
	m.next += 2 + size
	if h&0x8000 != 0 { // stored uncompressed
		m.buf = append(m.buf, raw...)
		return nil
	}
	out, err := inflate(raw, 8192)
	if err != nil {
		return fmt.Errorf("squashfs: metadata: %w", err)
	}
	m.buf = append(m.buf, out...)
	return nil
}

func (m *metaReader) Read(p []byte) (int, error) {
	for len(m.buf) < len(p) {
		if err := m.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, m.buf)
	m.buf = m.buf[n:]
	return n, nil
}

func (m *metaReader) read(v any) error { return binary.Read(m, binary.LittleEndian, v) }

// inflate decompresses one zlib block of at most limit bytes.
func inflate(raw []byte, limit int64) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, errors.New("a block inflates past its size")
	}
	return out, nil
}

// Inode types.
const (
	dirType     = 1
	fileType    = 2
	symlinkType = 3
	xdirType    = 8
	xfileType   = 9
	xsymlinkTyp = 10
)

type inode struct {
	typ  uint16
	mode uint16
	// directories
	dirBlock  uint32
	dirOffset uint16
	dirSize   uint32
	// files
	start  uint64
	size   uint64
	blocks []uint32
	// symlinks
	target string
}

// inode reads the inode a reference points to.
func (im *Image) inode(ref uint64) (*inode, error) {
	m, err := im.meta(im.sb.InodeTableStart, ref>>16, uint16(ref&0xffff))
	if err != nil {
		return nil, err
	}
	var h struct {
		Type, Mode, UID, GID uint16
		MTime, Number        uint32
	}
	if err := m.read(&h); err != nil {
		return nil, err
	}
	in := &inode{typ: h.Type, mode: h.Mode}
	switch h.Type {
	case dirType:
		var d struct {
			Block, Links uint32
			Size, Offset uint16
			Parent       uint32
		}
		if err := m.read(&d); err != nil {
			return nil, err
		}
		in.dirBlock, in.dirOffset, in.dirSize = d.Block, d.Offset, uint32(d.Size)
	case xdirType:
		var d struct {
			Links, Size, Block, Parent uint32
			IndexCount, Offset         uint16
			Xattr                      uint32
		}
		if err := m.read(&d); err != nil {
			return nil, err
		}
		in.dirBlock, in.dirOffset, in.dirSize = d.Block, d.Offset, d.Size
	case fileType, xfileType:
		var frag uint32
		if h.Type == fileType {
			var f struct{ Start, Frag, Offset, Size uint32 }
			if err := m.read(&f); err != nil {
				return nil, err
			}
			in.start, in.size, frag = uint64(f.Start), uint64(f.Size), f.Frag
		} else {
			var f struct {
				Start, Size, Sparse        uint64
				Links, Frag, Offset, Xattr uint32
			}
			if err := m.read(&f); err != nil {
				return nil, err
			}
			in.start, in.size, frag = f.Start, f.Size, f.Frag
		}
		if frag != 0xffffffff {
			return nil, errors.New("squashfs: a file with a fragment (make the image with -no-fragments)")
		}
		n := (in.size + uint64(im.sb.BlockSize) - 1) / uint64(im.sb.BlockSize)
		if n > 1<<24 {
			return nil, fmt.Errorf("squashfs: a file of %d blocks", n)
		}
		in.blocks = make([]uint32, n)
		if err := m.read(in.blocks); err != nil {
			return nil, err
		}
	case symlinkType, xsymlinkTyp:
		var s struct{ Links, Size uint32 }
		if err := m.read(&s); err != nil {
			return nil, err
		}
		if s.Size > 4096 {
			return nil, fmt.Errorf("squashfs: a link target of %d bytes", s.Size)
		}
		b := make([]byte, s.Size)
		if _, err := io.ReadFull(m, b); err != nil {
			return nil, err
		}
		in.target = string(b)
	default:
		return nil, fmt.Errorf("squashfs: inode type %d (files, folders and links are read)", h.Type)
	}
	return in, nil
}

type entry struct {
	name string
	ref  uint64
}

// entries lists a directory.
func (im *Image) entries(d *inode) ([]entry, error) {
	if d.dirSize <= 3 { // an empty directory's size is 3
		return nil, nil
	}
	m, err := im.meta(im.sb.DirTableStart, uint64(d.dirBlock), d.dirOffset)
	if err != nil {
		return nil, err
	}
	left := int64(d.dirSize) - 3
	var out []entry
	for left > 0 {
		var h struct{ Count, Start, Inode uint32 }
		if err := m.read(&h); err != nil {
			return nil, err
		}
		left -= 12
		if h.Count >= 256 {
			return nil, fmt.Errorf("squashfs: a directory header of %d entries", h.Count+1)
		}
		for i := uint32(0); i <= h.Count; i++ {
			var e struct {
				Offset     uint16
				InodeDelta int16
				Type       uint16
				NameSize   uint16
			}
			if err := m.read(&e); err != nil {
				return nil, err
			}
			name := make([]byte, int(e.NameSize)+1)
			if _, err := io.ReadFull(m, name); err != nil {
				return nil, err
			}
			left -= 8 + int64(len(name))
			n := string(name)
			if n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
				return nil, fmt.Errorf("squashfs: a directory entry named %q", n)
			}
			out = append(out, entry{name: n, ref: uint64(h.Start)<<16 | uint64(e.Offset)})
		}
	}
	return out, nil
}

// ExtractTo writes the image's files, folders and links into dir, which
// must not exist yet; it is made with the image's permissions.
func (im *Image) ExtractTo(dir string) error {
	root, err := im.inode(im.sb.RootInode)
	if err != nil {
		return err
	}
	if root.typ != dirType && root.typ != xdirType {
		return errors.New("squashfs: the root is not a folder")
	}
	return im.extract(root, dir, 0)
}

func (im *Image) extract(in *inode, path string, depth int) error {
	if depth > 64 {
		return errors.New("squashfs: folders nested too deep")
	}
	perm := os.FileMode(in.mode & 0o777)
	switch in.typ {
	case dirType, xdirType:
		if err := os.Mkdir(path, 0o755); err != nil {
			return err
		}
		es, err := im.entries(in)
		if err != nil {
			return err
		}
		for _, e := range es {
			child, err := im.inode(e.ref)
			if err != nil {
				return err
			}
			if err := im.extract(child, filepath.Join(path, e.name), depth+1); err != nil {
				return err
			}
		}
		return os.Chmod(path, perm|0o700)
	case symlinkType, xsymlinkTyp:
		return os.Symlink(in.target, path)
	default:
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o600)
		if err != nil {
			return err
		}
		if err := im.copyFile(in, f); err != nil {
			f.Close()
			return fmt.Errorf("squashfs: %s: %w", path, err)
		}
		return f.Close()
	}
}

// copyFile writes a file's data blocks, in order.
func (im *Image) copyFile(in *inode, w io.Writer) error {
	off := int64(in.start)
	left := in.size
	bs := uint64(im.sb.BlockSize)
	for _, b := range in.blocks {
		want := min(left, bs)
		size := int64(b & 0xffffff)
		var data []byte
		switch {
		case size == 0: // a sparse block
			data = make([]byte, want)
		case b&(1<<24) != 0: // stored uncompressed
			data = make([]byte, size)
			if _, err := im.r.ReadAt(data, off); err != nil {
				return err
			}
		default:
			raw := make([]byte, size)
			if _, err := im.r.ReadAt(raw, off); err != nil {
				return err
			}
			var err error
			if data, err = inflate(raw, int64(bs)); err != nil {
				return err
			}
		}
		off += size
		if uint64(len(data)) < want {
			return fmt.Errorf("a block of %d bytes, %d expected", len(data), want)
		}
		if _, err := w.Write(data[:want]); err != nil {
			return err
		}
		left -= want
	}
	if left != 0 {
		return errors.New("the blocks end before the file")
	}
	return nil
}
