package docs

import (
	"archive/zip"
	"bytes"
	"fmt"
	"github.com/carrel-ai/carrel/engine/failure"
	"io"
	"path"
	"strings"
)

// Limits on zip containers (DOCX, ODT, EPUB): a zip bomb declares small
// sizes and inflates to gigabytes, so every member is read through a limit
// and the whole archive has a budget.
const (
	maxMembers      = 20000
	maxMemberBytes  = 128 << 20
	maxArchiveBytes = 512 << 20
)

// archive reads members of a zip file within the limits above.
type archive struct {
	files map[string]*zip.File
	names []string
	read  int64 // bytes inflated so far
}

func openArchive(data []byte) (*archive, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &ParseError{Err: failure.ErrCorrupt, Detail: "its zip container is damaged (" + err.Error() + ")"}
	}
	if len(zr.File) > maxMembers {
		return nil, &ParseError{Err: failure.ErrTooLarge, Detail: fmt.Sprintf("its archive holds %d files", len(zr.File))}
	}
	a := &archive{files: map[string]*zip.File{}}
	for _, f := range zr.File {
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		a.files[name] = f
		a.names = append(a.names, name)
	}
	return a, nil
}

func (a *archive) has(name string) bool { return a.files[name] != nil }

// member returns the inflated content of name, or an error when it is
// missing, damaged, or larger than the limits allow.
func (a *archive) member(name string) ([]byte, error) {
	f := a.files[strings.TrimPrefix(path.Clean("/"+name), "/")]
	if f == nil {
		return nil, &ParseError{Err: failure.ErrCorrupt, Detail: "its part " + name + " is missing"}
	}
	if f.UncompressedSize64 > maxMemberBytes {
		return nil, &ParseError{Err: failure.ErrTooLarge, Detail: fmt.Sprintf("its part %s inflates to %d MiB", name, f.UncompressedSize64>>20)}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, &ParseError{Err: failure.ErrCorrupt, Detail: "its part " + name + " cannot be read (" + err.Error() + ")"}
	}
	defer rc.Close()
	budget := min(int64(maxMemberBytes), maxArchiveBytes-a.read)
	b, err := io.ReadAll(io.LimitReader(rc, budget+1))
	a.read += int64(len(b))
	if int64(len(b)) > budget {
		return nil, &ParseError{Err: failure.ErrTooLarge, Detail: "it inflates beyond " + fmt.Sprint(budget>>20) + " MiB (a zip bomb?)"}
	}
	if err != nil {
		return nil, &ParseError{Err: failure.ErrCorrupt, Detail: "its part " + name + " is damaged (" + err.Error() + ")"}
	}
	return b, nil
}
