package llm

import (
	"errors"
	"io/fs"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// ModelInfo describes a GGUF model from its header alone (see gguf.Info).
type ModelInfo = gguf.Info

// ReadInfo reads a model's description from its GGUF header (pure Go, see
// gguf.ReadInfo). Its errors are *LoadError values wrapping ErrNotFound,
// ErrNotGGUF, ErrTruncated or ErrLoad.
func ReadInfo(path string) (ModelInfo, error) {
	info, err := gguf.ReadInfo(path)
	if err == nil {
		return info, nil
	}
	var de *gguf.DetailError
	detail := ""
	if errors.As(err, &de) {
		detail = de.Detail
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return info, &LoadError{Path: path, Err: ErrNotFound}
	case errors.Is(err, gguf.ErrNotGGUF):
		return info, &LoadError{Path: path, Err: ErrNotGGUF, Detail: detail}
	case errors.Is(err, gguf.ErrTruncated):
		return info, &LoadError{Path: path, Err: ErrTruncated, Detail: err.Error()}
	}
	return info, &LoadError{Path: path, Err: ErrLoad, Detail: err.Error()}
}
