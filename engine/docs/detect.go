package docs

import (
	"archive/zip"
	"bytes"
	"io"
	"path/filepath"
	"strings"
)

// Detection reports what a file is and, for a refusal, why.
type Detection struct {
	Format Format
	// Reason explains a refusal (Format empty) in words, e.g. "a PNG image".
	Reason string
	// Encrypted is set when the container says the content is encrypted.
	Encrypted bool
	// Damaged is set when the file is of a known kind but broken, so that
	// it is reported as damaged rather than unsupported.
	Damaged bool
}

// docExt are extensions of binary document formats: a file so named whose
// content is plain text is a damaged or mislabelled document.
var docExt = map[string]string{".pdf": "a PDF", ".docx": "a Word", ".odt": "an OpenDocument", ".epub": "an EPUB"}

// magic numbers of common binary files that are not documents, so a
// refusal can name what the file is.
var binaryMagic = []struct {
	prefix string
	name   string
}{
	{"\x89PNG", "a PNG image"}, {"\xFF\xD8\xFF", "a JPEG image"}, {"GIF8", "a GIF image"},
	{"RIFF", "a RIFF media file (WAV, AVI, WebP)"}, {"\x1F\x8B", "a gzip archive"},
	{"BZh", "a bzip2 archive"}, {"\xFD7zXZ", "an xz archive"}, {"7z\xBC\xAF", "a 7-Zip archive"},
	{"Rar!", "a RAR archive"}, {"\x7FELF", "a program (ELF)"}, {"MZ", "a Windows program"},
	{"\xCA\xFE\xBA\xBE", "a Mach-O or Java class file"}, {"\xCF\xFA\xED\xFE", "a macOS program"},
	{"ID3", "an MP3 file"}, {"fLaC", "a FLAC file"}, {"OggS", "an Ogg media file"},
	{"SQLite format 3", "an SQLite database"}, {"GGUF", "a language model (GGUF)"},
	{"%!PS", "a PostScript file"}, {"II*\x00", "a TIFF image"}, {"MM\x00*", "a TIFF image"},
}

var codeExt = map[string]bool{
	".go": true, ".py": true, ".js": true, ".mjs": true, ".ts": true, ".tsx": true, ".jsx": true,
	".java": true, ".kt": true, ".c": true, ".h": true, ".cc": true, ".cpp": true, ".hpp": true,
	".cs": true, ".rs": true, ".rb": true, ".php": true, ".swift": true, ".m": true, ".scala": true,
	".sh": true, ".bash": true, ".zsh": true, ".ps1": true, ".sql": true, ".r": true, ".jl": true,
	".lua": true, ".pl": true, ".hs": true, ".ex": true, ".exs": true, ".erl": true, ".clj": true,
	".json": true, ".yaml": true, ".yml": true, ".toml": true, ".ini": true, ".cfg": true,
	".xml": true, ".css": true, ".scss": true, ".proto": true, ".tf": true, ".dockerfile": true,
	".mk": true, ".cmake": true, ".gradle": true, ".vue": true, ".svelte": true, ".dart": true,
}

// Detect tells the format of a file from its first bytes (head, at least a
// few KiB when the file has them), the whole file through r for archives,
// and its name only to choose among text formats.
func Detect(name string, head []byte, r io.ReaderAt, size int64) Detection {
	ext := strings.ToLower(filepath.Ext(name))
	if i := bytes.Index(head[:min(len(head), 1024)], []byte("%PDF-")); i >= 0 {
		return Detection{Format: PDF}
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")) {
		return detectZip(r, size)
	}
	if bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
		return detectOLE(head, r, size)
	}
	if bytes.HasPrefix(bytes.TrimLeft(head, "\xEF\xBB\xBF \t\r\n"), []byte(`{\rtf`)) {
		return Detection{Format: RTF}
	}
	if imageKind(head, ext) != "" {
		return Detection{Format: Image}
	}
	for _, m := range binaryMagic {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return Detection{Reason: "it is " + m.name + ", not a document"}
		}
	}
	if isBinary(head) {
		return Detection{Reason: "it is a binary file of unknown kind, not text"}
	}
	if kind, ok := docExt[ext]; ok {
		return Detection{Reason: "it is named as " + kind + " file but holds plain text", Damaged: true}
	}
	if looksHTML(head) || ext == ".html" || ext == ".htm" || ext == ".xhtml" {
		return Detection{Format: HTML}
	}
	switch {
	case ext == ".md" || ext == ".markdown" || ext == ".mdown":
		return Detection{Format: Markdown}
	case ext == ".csv" || ext == ".tsv":
		return Detection{Format: CSV}
	case codeExt[ext]:
		return Detection{Format: Code}
	}
	return Detection{Format: Text}
}

func detectZip(r io.ReaderAt, size int64) Detection {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Detection{Reason: "its zip container is damaged or cut short", Damaged: true}
	}
	has := map[string]*zip.File{}
	for _, f := range zr.File {
		has[f.Name] = f
	}
	if f := has["mimetype"]; f != nil && f.UncompressedSize64 < 256 {
		if rc, err := f.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 256))
			rc.Close()
			switch mt := strings.TrimSpace(string(b)); {
			case mt == "application/epub+zip":
				return Detection{Format: EPUB}
			case mt == "application/vnd.oasis.opendocument.text" || mt == "application/vnd.oasis.opendocument.text-template":
				return Detection{Format: ODT, Encrypted: odfEncrypted(has)}
			case strings.HasPrefix(mt, "application/vnd.oasis.opendocument."):
				return Detection{Reason: "it is an OpenDocument file that is not a text document (" + strings.TrimPrefix(mt, "application/vnd.oasis.opendocument.") + ")"}
			}
		}
	}
	switch {
	case has["word/document.xml"] != nil:
		return Detection{Format: DOCX}
	case has["content.xml"] != nil:
		return Detection{Format: ODT, Encrypted: odfEncrypted(has)}
	case has["META-INF/container.xml"] != nil:
		return Detection{Format: EPUB}
	case has["xl/workbook.xml"] != nil:
		return Detection{Reason: "it is an Excel workbook (.xlsx), which Carrel does not read yet"}
	case has["ppt/presentation.xml"] != nil:
		return Detection{Reason: "it is a PowerPoint presentation (.pptx), which Carrel does not read yet"}
	}
	return Detection{Reason: "it is a zip archive, not a document"}
}

// odfEncrypted reads META-INF/manifest.xml for encryption entries.
func odfEncrypted(has map[string]*zip.File) bool {
	f := has["META-INF/manifest.xml"]
	if f == nil {
		return false
	}
	rc, err := f.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	return bytes.Contains(b, []byte("encryption-data"))
}

// detectOLE tells an encrypted Office file (OOXML inside an OLE container)
// from the old binary Office formats.
func detectOLE(head []byte, r io.ReaderAt, size int64) Detection {
	buf := make([]byte, min(size, 1<<20))
	n, _ := r.ReadAt(buf, 0)
	buf = buf[:n]
	utf16 := func(s string) []byte {
		var b []byte
		for _, c := range s {
			b = append(b, byte(c), 0)
		}
		return b
	}
	if bytes.Contains(buf, utf16("EncryptedPackage")) {
		return Detection{Format: DOCX, Encrypted: true}
	}
	if bytes.Contains(buf, utf16("WordDocument")) {
		return Detection{Reason: "it is an old Word document (.doc); save it as .docx to add it"}
	}
	return Detection{Reason: "it is an old Microsoft Office file, which Carrel does not read"}
}

// isBinary reports NUL bytes or many control bytes, allowing UTF-16 text.
func isBinary(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	if le, be := utf16Evidence(head); le || be || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return false
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	ctrl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1B {
			ctrl++
		}
	}
	return ctrl > len(head)/20
}

func looksHTML(head []byte) bool {
	h := bytes.ToLower(head[:min(len(head), 2048)])
	h = bytes.TrimLeft(h, "\xef\xbb\xbf \t\r\n")
	if le, be := utf16Evidence(head); le || be {
		h = bytes.ReplaceAll(h, []byte{0}, nil)
	}
	return bytes.HasPrefix(h, []byte("<!doctype html")) || bytes.HasPrefix(h, []byte("<html")) ||
		bytes.Contains(h, []byte("<html")) || bytes.Contains(h, []byte("<body")) ||
		(bytes.HasPrefix(h, []byte("<?xml")) && bytes.Contains(h, []byte("xhtml")))
}
