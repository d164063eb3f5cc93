package teach

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Base identifies the model an adapter was trained for.
type Base struct {
	Name   string // the file's name
	SHA256 string
	Size   int64
}

func (b Base) meta() map[string]any {
	return map[string]any{"carrel.base.name": b.Name, "carrel.base.sha256": b.SHA256, "carrel.base.size": uint64(b.Size)}
}

// BaseOf hashes the model file at path (about a second per gigabyte).
func BaseOf(ctx context.Context, path string) (Base, error) {
	f, err := os.Open(path)
	if err != nil {
		return Base{}, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 4<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Base{}, err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return Base{}, err
		}
	}
	return Base{Name: filepath.Base(path), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// ErrOtherBase means an adapter was trained for another model.
var ErrOtherBase = errors.New("the adapter was trained for another model")

// MismatchError says which model an adapter belongs to.
type MismatchError struct {
	Adapter, Model string
	Want, Have     Base
}

func (e *MismatchError) Error() string {
	if e.Have.SHA256 == "" {
		return fmt.Sprintf("%s was taught for %s (sha256 %.12s…), not for %s: choose that model again, or teach the library for this one",
			filepath.Base(e.Adapter), e.Want.Name, e.Want.SHA256, e.Have.Name)
	}
	return fmt.Sprintf("%s was taught for %s (sha256 %.12s…), not for %s (sha256 %.12s…): choose that model again, or teach the library for this one",
		filepath.Base(e.Adapter), e.Want.Name, e.Want.SHA256, e.Have.Name, e.Have.SHA256)
}

func (e *MismatchError) Unwrap() error { return ErrOtherBase }

// CheckBase refuses an adapter that records the model it was taught for
// (a Carrel adapter) when model is another file: a different size is
// enough to tell, otherwise the model is hashed. Adapters from elsewhere
// record nothing and are left to llama.cpp's own shape checks.
func CheckBase(ctx context.Context, adapter, model string) error {
	f, err := gguf.Open(adapter)
	if err != nil {
		return err
	}
	want, ok := f.String("carrel.base.sha256")
	if !ok {
		return nil
	}
	name, _ := f.String("carrel.base.name")
	size, _ := f.Uint("carrel.base.size")
	w := Base{Name: name, SHA256: want, Size: int64(size)}
	fi, err := os.Stat(model)
	if err != nil {
		return err
	}
	if size != 0 && fi.Size() != int64(size) {
		return &MismatchError{Adapter: adapter, Model: model, Want: w, Have: Base{Name: filepath.Base(model), Size: fi.Size()}}
	}
	have, err := BaseOf(ctx, model)
	if err != nil {
		return err
	}
	if have.SHA256 != want {
		return &MismatchError{Adapter: adapter, Model: model, Want: w, Have: have}
	}
	return nil
}
