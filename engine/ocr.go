package engine

import (
	"context"
	"slices"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/ocr"
	"github.com/carrel-ai/carrel/engine/settings"
)

// OCRInfo says whether scanned pages and pictures can be read on this
// computer, with which program and languages, and if not, why and how to
// make them readable.
type OCRInfo = ocr.Info

// newOCR makes the recogniser the settings ask for; nil when OCR is off.
// Finding Tesseract waits for the first scan, so this costs nothing at
// start-up.
func newOCR(s Settings) *ocr.Engine {
	if s.OCR == OCROff {
		return nil
	}
	return ocr.New(ocr.Options{Program: s.OCRProgram, Languages: settings.OCRLanguageList(s.OCRLanguages)})
}

// recognizer is the engine's recogniser as the ingester takes it: a nil
// interface, not a nil pointer, when OCR is off.
func (e *Engine) recognizer() docs.Recognizer {
	if e.ocr == nil {
		return nil
	}
	return e.ocr
}

// OCR reports whether scanned pages are read, and how.
func (e *Engine) OCR(ctx context.Context) OCRInfo {
	e.mu.Lock()
	o := e.ocr
	e.mu.Unlock()
	return infoOf(ctx, o)
}

// OCRFor reports what OCR the settings s give on this computer, without
// an open engine (carrel info).
func OCRFor(ctx context.Context, s Settings) OCRInfo {
	return infoOf(ctx, newOCR(s))
}

// infoOf describes a recogniser; nil is OCR turned off.
func infoOf(ctx context.Context, o *ocr.Engine) OCRInfo {
	if o == nil {
		return OCRInfo{Problem: "OCR is turned off in the settings; scans are left out"}
	}
	return o.Info(ctx)
}

// ocrChanged reports whether a settings change needs a new recogniser.
func ocrChanged(old, s Settings) bool {
	return (old.OCR == OCROff) != (s.OCR == OCROff) || old.OCRProgram != s.OCRProgram ||
		!slices.Equal(settings.OCRLanguageList(old.OCRLanguages), settings.OCRLanguageList(s.OCRLanguages))
}
