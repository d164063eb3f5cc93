// Package passage declares where a passage stands in its document: the
// one spelling of a passage's place, from chunking through the store and
// search to the viewer's highlight.
package passage

// Place is where a passage stands: the section (a page, or the text under
// a heading) it is cut from, its byte offsets in that section's text,
// without surrounding white space, and for PDFs the PDFium indices of its
// first and last characters on the page.
type Place struct {
	Section int `json:"section"`
	Start   int `json:"start"`
	End     int `json:"end"`
	// CharFirst and CharLast are NoChars where there are no character
	// indices (any format but PDF, and passages stored before they were
	// kept).
	CharFirst int `json:"char_first"`
	CharLast  int `json:"char_last"`
}

// NoChars is CharFirst and CharLast of a passage without character
// indices.
const NoChars = -1

// HasChars reports whether the passage knows its PDFium characters.
func (p Place) HasChars() bool { return p.CharFirst != NoChars }
