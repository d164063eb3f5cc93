// Package chunk splits documents into passages sized for an embedding
// model, keeping each passage's exact place: the page or heading it is
// under, and byte offsets into the blocks it came from, so a citation can
// show and highlight the precise text.
package chunk

import (
	"hash/fnv"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/carrel-ai/carrel/engine/docs"
	"github.com/carrel-ai/carrel/engine/passage"
)

// Options control splitting; zero values pick the defaults.
type Options struct {
	// Size is the target length of a chunk in tokens; 0 means 400.
	Size int
	// Overlap is how many tokens a chunk repeats from the one before, so a
	// sentence cut at a boundary is whole in one of them; 0 means 15% of
	// Size, a negative value none.
	Overlap int
	// Count counts tokens, normally the embedding model's tokenizer; nil
	// means an estimate (about 1.3 tokens a word, one per CJK character).
	Count func(string) int
}

func (o Options) withDefaults() Options {
	if o.Size <= 0 {
		o.Size = 400
	}
	switch {
	case o.Overlap == 0:
		o.Overlap = o.Size * 15 / 100
	case o.Overlap < 0:
		o.Overlap = 0
	}
	o.Overlap = min(o.Overlap, o.Size/2)
	if o.Count == nil {
		o.Count = EstimateTokens
	}
	return o
}

// Span is a piece of one block: Text[Start:End] of doc.Blocks[Block].
type Span struct {
	Block int `json:"block"`
	Start int `json:"start"` // byte offsets into the block's text
	End   int `json:"end"`
}

// Section is the text of one page or section of a document: its blocks
// that share a page and heading, joined by blank lines. Passages are cut
// from sections; a passage's Start and End are byte offsets into its
// section's Text, so it can be shown exactly where it stands.
type Section struct {
	Page    int    `json:"page,omitempty"`
	Heading string `json:"heading,omitempty"`
	Text    string `json:"text"`
}

// Chunk is a passage. A chunk never crosses a page or a section: all its
// spans share Page and Heading.
type Chunk struct {
	Index   int    `json:"index"`
	Text    string `json:"text"` // the spans' texts joined by blank lines
	Spans   []Span `json:"spans"`
	Page    int    `json:"page,omitempty"`
	Heading string `json:"heading,omitempty"`
	Tokens  int    `json:"tokens"`
	// Place is where it stands in Sections(doc).
	passage.Place
	// DuplicateOf is the index of an earlier chunk of the same document
	// with nearly the same text (a repeated disclaimer, a copied section),
	// or -1.
	DuplicateOf int `json:"duplicate_of"`
}

// unit is a piece of a block no larger than a chunk: a paragraph, a
// sentence, or a run of words.
type unit struct {
	block, start, end, tokens int
}

// layout is how a document's blocks group into sections.
type layout struct {
	sections []Section
	bounds   [][2]int // each section's blocks, [first, end)
	offset   []int    // each block's byte offset in its section's text
}

// layoutOf groups doc's blocks into sections. With share, the blocks'
// texts are re-pointed into their sections' (the same words, held once):
// only for a document no one else is reading.
func layoutOf(doc *docs.Document, share bool) layout {
	l := layout{offset: make([]int, len(doc.Blocks))}
	for start := 0; start < len(doc.Blocks); {
		end := start + 1
		for end < len(doc.Blocks) && sameSection(doc.Blocks[start], doc.Blocks[end]) {
			end++
		}
		text := doc.Blocks[start].Text // a section of one block: no copy
		if end > start+1 {
			var b strings.Builder
			for i := start; i < end; i++ {
				if i > start {
					b.WriteString("\n\n")
				}
				l.offset[i] = b.Len()
				b.WriteString(doc.Blocks[i].Text)
			}
			text = b.String()
			// The blocks now point into their section's text: a long
			// document's words are held once, not once per block and
			// again per section. The text is the same, only shared.
			for i := start; share && i < end; i++ {
				doc.Blocks[i].Text = text[l.offset[i] : l.offset[i]+len(doc.Blocks[i].Text)]
			}
		}
		l.sections = append(l.sections, Section{Page: doc.Blocks[start].Page, Heading: doc.Blocks[start].Heading, Text: text})
		l.bounds = append(l.bounds, [2]int{start, end})
		start = end
	}
	return l
}

// Sections returns the document's sections, which Split's chunks point
// into.
func Sections(doc *docs.Document) []Section { return layoutOf(doc, false).sections }

// Split cuts doc into chunks.
func Split(doc *docs.Document, o Options) []Chunk {
	chunks, _ := split(doc, o, false)
	return chunks
}

// SplitSections cuts doc into chunks and returns them with the sections
// they point into (as Sections would). The blocks, sections and chunks
// share one copy of the document's text, so doc's blocks are re-pointed
// into the sections' text (their words unchanged): the caller must own
// doc, with no one reading it meanwhile.
func SplitSections(doc *docs.Document, o Options) ([]Chunk, []Section) {
	return split(doc, o, true)
}

func split(doc *docs.Document, o Options, share bool) ([]Chunk, []Section) {
	o = o.withDefaults()
	var chunks []Chunk
	l := layoutOf(doc, share)
	for si, bd := range l.bounds {
		p := packer{doc: doc, o: o}
		for i := bd[0]; i < bd[1]; i++ {
			splitBlock(i, doc.Blocks[i].Text, o, p.add)
		}
		for _, c := range p.finish() {
			place(doc, &c, si, l)
			chunks = append(chunks, c)
		}
	}
	out := chunks[:0]
	for _, c := range chunks {
		if !boilerplate(doc, c) {
			c.Index = len(out)
			out = append(out, c)
		}
	}
	markDuplicates(out)
	return out, l.sections
}

// place records where chunk c stands: its section, its offsets in the
// section's text, and for PDFs its characters on the page.
func place(doc *docs.Document, c *Chunk, section int, l layout) {
	c.Section = section
	c.CharFirst, c.CharLast = passage.NoChars, passage.NoChars
	text := l.sections[section].Text
	first, last := c.Spans[0], c.Spans[len(c.Spans)-1]
	c.Start, c.End = l.offset[first.Block]+first.Start, l.offset[last.Block]+last.End
	for c.Start < c.End && isSpaceByte(text[c.Start]) {
		c.Start++
	}
	for c.End > c.Start && isSpaceByte(text[c.End-1]) {
		c.End--
	}
	if in := text[c.Start:c.End]; in == c.Text {
		// The passage as it stands in its section: share the section's
		// text rather than hold a long document's words twice.
		c.Text = in
	}
	for _, sp := range c.Spans {
		f, t, ok := doc.Blocks[sp.Block].CharRange(sp.Start, sp.End)
		if !ok {
			continue
		}
		if !c.HasChars() {
			c.CharFirst, c.CharLast = f, t
			continue
		}
		c.CharFirst, c.CharLast = min(c.CharFirst, f), max(c.CharLast, t)
	}
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

func sameSection(a, b docs.Block) bool {
	if a.Page != b.Page {
		return false
	}
	// A heading starts a section; the blocks under it share its path.
	return a.Heading == b.Heading
}

// packer fills chunks with units up to the size, starting each new chunk
// with the last units of the previous one up to the overlap. Units are fed
// one block at a time, so a huge section never holds all its units at once.
type packer struct {
	doc    *docs.Document
	o      Options
	cur    []unit
	tokens int
	chunks []Chunk
}

func (p *packer) add(u unit) {
	if p.tokens+u.tokens > p.o.Size && len(p.cur) > 0 {
		p.chunks = append(p.chunks, build(p.doc, p.cur))
		// Carry the tail of the chunk over as overlap.
		first, kept := len(p.cur), 0
		for i := len(p.cur) - 1; i >= 0; i-- {
			if kept+p.cur[i].tokens > p.o.Overlap || kept+p.cur[i].tokens+u.tokens > p.o.Size {
				break
			}
			kept += p.cur[i].tokens
			first = i
		}
		p.cur = append(p.cur[:0:0], p.cur[first:]...)
		p.tokens = kept
	}
	p.cur = append(p.cur, u)
	p.tokens += u.tokens
}

// finish emits the last chunk and returns them all.
func (p *packer) finish() []Chunk {
	if len(p.cur) > 0 {
		p.chunks = append(p.chunks, build(p.doc, p.cur))
		p.cur = nil
	}
	return p.chunks
}

// build makes a chunk of units, merging adjacent units of one block into
// one span.
func build(doc *docs.Document, units []unit) Chunk {
	var c Chunk
	c.DuplicateOf = -1
	first := doc.Blocks[units[0].block]
	c.Page, c.Heading = first.Page, first.Heading
	for _, u := range units {
		c.Tokens += u.tokens
		if n := len(c.Spans); n > 0 && c.Spans[n-1].Block == u.block && c.Spans[n-1].End <= u.start {
			c.Spans[n-1].End = u.end
			continue
		}
		c.Spans = append(c.Spans, Span{Block: u.block, Start: u.start, End: u.end})
	}
	if len(c.Spans) == 1 { // a piece of one block: no copy
		s := c.Spans[0]
		c.Text = strings.TrimSpace(doc.Blocks[s.Block].Text[s.Start:s.End])
		return c
	}
	var b strings.Builder
	for i, s := range c.Spans {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.TrimSpace(doc.Blocks[s.Block].Text[s.Start:s.End]))
	}
	c.Text = b.String()
	return c
}

// splitBlock cuts a block into units no larger than the chunk size:
// paragraphs, then sentences, then words (CJK: punctuation, then
// characters).
//
// Units go to emit as they are cut, and boundaries are found as they are
// walked: a block of millions of words (a one-line file) never holds a
// unit or a boundary per word at once.
func splitBlock(block int, text string, o Options, emit func(unit)) {
	var split func(start, end int, level int)
	split = func(start, end int, level int) {
		s := text[start:end]
		if strings.TrimSpace(s) == "" {
			return
		}
		n := o.Count(s)
		if n <= o.Size || level > 3 {
			if level > 3 && n > o.Size { // one unbreakable run: cut by characters
				cutRunes(start, end, n, o, block, text, emit)
				return
			}
			emit(unit{block: block, start: start, end: end, tokens: n})
			return
		}
		eachBoundary(s, level, func(a, b int) { split(start+a, start+b, level+1) })
	}
	// Whole pieces that are too small to stand alone are merged forward
	// when packing; nothing more to do here.
	split(0, len(text), 0)
}

// cutRunes splits an unbreakable run into pieces of about the chunk size.
func cutRunes(start, end, tokens int, o Options, block int, text string, emit func(unit)) {
	parts := tokens/o.Size + 1
	step := (end - start) / parts
	for s := start; s < end; {
		e := min(s+max(step, 1), end)
		for e < end && !utf8.RuneStart(text[e]) {
			e++
		}
		emit(unit{block: block, start: s, end: e, tokens: o.Count(text[s:e])})
		s = e
	}
}

// eachBoundary calls fn with the [start, end) ranges of s at a level, in
// order: 0 paragraphs (blank lines), 1 lines or sentences, 2 clauses (CJK
// punctuation, commas, semicolons), 3 words.
func eachBoundary(s string, level int, fn func(start, end int)) {
	last := 0
	cut := func(i int) {
		if i > last {
			fn(last, i)
			last = i
		}
	}
	switch level {
	case 0:
		for i := 0; i+1 < len(s); i++ {
			if s[i] == '\n' && s[i+1] == '\n' {
				cut(i + 2)
			}
		}
	case 1:
		for i, r := range s {
			size := utf8.RuneLen(r)
			switch {
			case r == '\n':
				cut(i + 1)
			case r == '。' || r == '！' || r == '？' || r == '．':
				cut(i + size)
			case (r == '.' || r == '!' || r == '?') && i+size < len(s) && s[i+size] == ' ' && sentenceStart(s[i+size+1:]):
				cut(i + size + 1)
			}
		}
	case 2:
		for i, r := range s {
			switch r {
			case ',', ';', ':', '，', '、', '；', '：':
				cut(i + utf8.RuneLen(r))
			}
		}
	default:
		for i, r := range s {
			if unicode.IsSpace(r) {
				cut(i + 1)
			}
		}
	}
	cut(len(s))
}

func sentenceStart(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"'“‘(«", r) || isCJK(r)
	}
	return false
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// EstimateTokens approximates a subword tokenizer's count: about 1.3
// tokens per word of alphabetic text, one per CJK character, one per
// symbol.
func EstimateTokens(s string) int {
	words, cjk, other := 0, 0, 0
	inWord := false
	for _, r := range s {
		switch {
		case isCJK(r):
			cjk++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				words++
			}
			inWord = true
		case unicode.IsSpace(r):
			inWord = false
		default:
			other++
			inWord = false
		}
	}
	return (words*13+9)/10 + cjk + other
}

// boilerplate reports chunks not worth indexing: no letters at all, or
// only a few words of headings.
func boilerplate(doc *docs.Document, c Chunk) bool {
	letters := 0
	for _, r := range c.Text {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		return true
	}
	headingsOnly := true
	for _, s := range c.Spans {
		headingsOnly = headingsOnly && doc.Blocks[s.Block].Kind == "heading"
	}
	return headingsOnly && len(strings.Fields(c.Text)) <= 3 && len(doc.Blocks) > 1
}

// markDuplicates sets DuplicateOf for chunks whose word-pair simhash is
// within 3 bits of an earlier chunk's.
func markDuplicates(chunks []Chunk) {
	type seen struct {
		hash uint64
		idx  int
	}
	buckets := map[uint64][]seen{} // four 16-bit bands
	for i := range chunks {
		h := simhash(chunks[i].Text)
		if h == 0 {
			continue
		}
		found := -1
		for band := 0; band < 4 && found < 0; band++ {
			key := uint64(band)<<16 | (h>>(16*band))&0xFFFF
			for _, s := range buckets[key] {
				if bits.OnesCount64(s.hash^h) <= 3 {
					found = s.idx
					break
				}
			}
		}
		chunks[i].DuplicateOf = found
		if found >= 0 {
			continue
		}
		for band := 0; band < 4; band++ {
			key := uint64(band)<<16 | (h>>(16*band))&0xFFFF
			buckets[key] = append(buckets[key], seen{h, i})
		}
	}
}

// simhash of the word pairs of s (lower-cased letters and digits only);
// 0 for texts too short to compare.
func simhash(s string) uint64 {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) < 8 {
		return 0
	}
	var v [64]int
	for i := 0; i+1 < len(words); i++ {
		h := fnv.New64a()
		h.Write([]byte(words[i]))
		h.Write([]byte{0})
		h.Write([]byte(words[i+1]))
		x := h.Sum64()
		for b := 0; b < 64; b++ {
			if x&(1<<b) != 0 {
				v[b]++
			} else {
				v[b]--
			}
		}
	}
	var out uint64
	for b := 0; b < 64; b++ {
		if v[b] > 0 {
			out |= 1 << b
		}
	}
	return out
}
