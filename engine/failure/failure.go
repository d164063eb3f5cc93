// Package failure is the one scheme of why a file could not be indexed:
// a sentinel error per cause, for errors.Is, and the kind each cause is
// stored and printed as, derived from the sentinels in one table. The
// parser, the indexing queue, the store, the facade and the window all
// speak it; nothing matches on an error's words.
package failure

import (
	"errors"
	"fmt"
	"strings"
)

// Why a file could not be indexed.
var (
	ErrUnsupported = errors.New("failure: unsupported file type")
	ErrEncrypted   = errors.New("failure: file is encrypted")
	// ErrWrongPassword is ErrEncrypted when the password given does not
	// open the file: another is needed.
	ErrWrongPassword = fmt.Errorf("%w: the password is not right", ErrEncrypted)
	ErrCorrupt       = errors.New("failure: file is damaged")
	ErrNoText        = errors.New("failure: no text in file")
	// ErrScanned means the file is a scan or a picture whose text only
	// OCR can read, and OCR is not available.
	ErrScanned = errors.New("failure: scanned, and OCR is not available")
	// ErrOCROff is ErrScanned when OCR is there but turned off in the
	// settings.
	ErrOCROff     = fmt.Errorf("%w: OCR is turned off", ErrScanned)
	ErrTooLarge   = errors.New("failure: file is too large")
	ErrTimeout    = errors.New("failure: parsing took too long")
	ErrUnreadable = errors.New("failure: the file cannot be read")
	// ErrEngine means the PDF engine could not start: not the file's
	// fault, so worth another attempt.
	ErrEngine    = errors.New("failure: the PDF engine could not start")
	ErrEmbedding = errors.New("failure: embedding failed")
	ErrStorage   = errors.New("failure: it could not be stored")
	ErrCancelled = errors.New("failure: indexing was cancelled")
)

// Kind names a cause as a value programs store, print and switch on:
// errors.Is(err, k.Err()) holds for an error of kind k.
type Kind string

// Kinds of failure.
const (
	Encrypted     Kind = "encrypted"
	WrongPassword Kind = "wrong_password" // encrypted, and the password given does not open it
	Corrupt       Kind = "corrupt"
	Unsupported   Kind = "unsupported"
	NoText        Kind = "no_text"
	Scanned       Kind = "scanned" // text only in images, and no OCR to read it
	OCROff        Kind = "ocr_off" // text only in images, and OCR is turned off
	TooLarge      Kind = "too_large"
	Timeout       Kind = "timeout"
	Unreadable    Kind = "unreadable" // missing, not a regular file, no permission, a link loop
	Engine        Kind = "engine"     // the PDF engine could not start
	Embedding     Kind = "embedding"
	Storage       Kind = "storage"
	Cancelled     Kind = "cancelled"
	Unknown       Kind = "error" // none of the above
)

// kinds pairs each kind with its sentinel; a more specific cause comes
// before the one it wraps.
var kinds = []struct {
	kind Kind
	err  error
}{
	{WrongPassword, ErrWrongPassword}, {Encrypted, ErrEncrypted}, {Corrupt, ErrCorrupt}, {Unsupported, ErrUnsupported},
	{NoText, ErrNoText}, {OCROff, ErrOCROff}, {Scanned, ErrScanned}, {TooLarge, ErrTooLarge}, {Timeout, ErrTimeout}, {Unreadable, ErrUnreadable},
	{Engine, ErrEngine}, {Embedding, ErrEmbedding}, {Storage, ErrStorage}, {Cancelled, ErrCancelled},
}

// Err is the sentinel error of a kind, nil for Unknown (or a kind this
// version does not know).
func (k Kind) Err() error {
	for _, x := range kinds {
		if x.kind == k {
			return x.err
		}
	}
	return nil
}

// KindOf names the kind of err: Unknown when it is none of the sentinels.
func KindOf(err error) Kind {
	for _, x := range kinds {
		if errors.Is(err, x.err) {
			return x.kind
		}
	}
	return Unknown
}

// FromTheFile reports whether a failure of this kind comes from the file
// itself, so that another attempt would fail the same way (scans are read
// again when OCR appears, and a password or a new version of the file
// starts afresh).
func (k Kind) FromTheFile() bool {
	switch k {
	case Encrypted, WrongPassword, Corrupt, Unsupported, NoText, TooLarge, Scanned, OCROff:
		return true
	}
	return false
}

// Words is a sentinel's text without the package's prefix, for messages
// that name a file first ("report.pdf: file is encrypted").
func Words(err error) string { return strings.TrimPrefix(err.Error(), "failure: ") }

// DocumentError is why a document could not be indexed: Err is one of
// one of the sentinels above, Reason the words recorded with it.
type DocumentError struct {
	Path   string
	Reason string
	Err    error
}

func (e *DocumentError) Error() string { return e.Path + ": " + e.Reason }
func (e *DocumentError) Unwrap() error { return e.Err }
