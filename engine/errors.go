package engine

import (
	"errors"
	"fmt"

	"github.com/carrel-ai/carrel/engine/failure"
	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/llm"
	"github.com/carrel-ai/carrel/engine/models"
	"github.com/carrel-ai/carrel/engine/rag"
	"github.com/carrel-ai/carrel/engine/status"
)

// Errors of answers and models that callers decide on.
var (
	ErrNoConversation  = rag.ErrNoConversation
	ErrQuestionTooLong = rag.ErrQuestionTooLong
	ErrModelNotFound   = llm.ErrNotFound
	ErrNotAModel       = llm.ErrNotGGUF
	ErrOutOfMemory     = llm.ErrOutOfMemory
	ErrNoModelSupport  = llm.ErrUnavailable
	// ErrModelTruncated: the model file ends early (a download cut off).
	ErrModelTruncated = llm.ErrTruncated
	// ErrUnsupportedModel: llama.cpp does not know the model's
	// architecture.
	ErrUnsupportedModel = llm.ErrUnsupportedArch
	ErrDiskFull         = models.ErrDiskFull
	// ErrReadOnly: the member's role on a team library's server may read
	// it but not add to it or remove from it.
	ErrReadOnly = index.ErrReadOnly
	// ErrLibraryServer: a team library's server could not be reached or
	// refused the connection.
	ErrLibraryServer = index.ErrServer
	// ErrModelServer: a model server could not be used (models.RemoteError
	// says why).
	ErrModelServer = models.ErrRemote
)

// ModelSupport reports whether this build runs models (it was built with
// llama.cpp, through cgo).
func ModelSupport() bool { return llm.Available() }

// DocumentError is why a document could not be indexed (see Failure).
type DocumentError = failure.DocumentError

// Failure returns why a failed document could not be indexed, as an error
// that matches its kind's sentinel (errors.Is(Failure(d),
// failure.ErrEncrypted));
// nil for a document that did not fail.
func Failure(d Document) error {
	if d.Status != status.Failed {
		return nil
	}
	return &failure.DocumentError{Path: d.Path, Reason: d.Error, Err: d.ErrorKind.Err()}
}

// plain gives errors a person may meet their words.
var plain = []struct {
	err  error
	says string
}{
	{ErrClosed, "Carrel is closing."},
	{ErrLibraryServer, "The team library's server could not be used: check its address in Settings → Team library (or $CARREL_LIBRARY_SERVER), and that the server is running and reachable from this computer."},
	{ErrReadOnly, "Your access to this team library lets you search it but not change it: ask whoever runs its server for the right to add and remove documents."},
	{ErrNoLibrary, "There is no such library."},
	{ErrEmptyQuestion, "Type a question first."},
	{ErrNotPDF, "Only pages of PDFs and pictures can be drawn."},
	{ErrNoConversation, "That conversation no longer exists."},
	{ErrQuestionTooLong, "The question is too long for the model's context window: shorten it, or choose a larger context in Settings."},
	{ErrModelNotFound, "The model file was not found: it may have been moved or deleted."},
	{ErrNotAModel, "That file is not a GGUF model."},
	{ErrOutOfMemory, "There is not enough memory for this model: choose a smaller one, or a smaller context."},
	{ErrNoModelSupport, "This build of Carrel cannot run models (it was built without llama.cpp)."},
	{ErrDiskFull, "The disk is full: free some space and try again."},
}

// PasswordRejected reports whether a document failed because the
// password given for it did not open it (another is needed).
func PasswordRejected(d Document) bool { return d.ErrorKind == failure.WrongPassword }

// Describe says what went wrong in words for a person: the plain sentence
// of a known error (matched by value, with errors.Is), followed by the
// error's own detail, or the error's text when it is not one of them.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var de *DocumentError
	if errors.As(err, &de) {
		return fmt.Sprintf("%s could not be indexed: %s", de.Path, de.Reason)
	}
	var off *models.OfflineError
	if errors.As(err, &off) {
		return off.Reason
	}
	for _, p := range plain {
		if errors.Is(err, p.err) {
			if err == p.err {
				return p.says
			}
			return p.says + "\n\n(" + err.Error() + ")"
		}
	}
	return err.Error()
}
