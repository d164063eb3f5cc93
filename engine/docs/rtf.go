package docs

import (
	"context"
	"strconv"
	"strings"

	"github.com/carrel-ai/carrel/engine/failure"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// rtfSkip are destinations whose content is not document text.
var rtfSkip = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true, "object": true,
	"header": true, "headerl": true, "headerr": true, "headerf": true, "footer": true, "footerl": true,
	"footerr": true, "footerf": true, "listtable": true, "listoverridetable": true, "rsidtbl": true,
	"generator": true, "xmlnstbl": true, "themedata": true, "colorschememapping": true, "datastore": true,
	"latentstyles": true, "mmathPr": true, "fldinst": true, "filetbl": true, "revtbl": true,
	"pgdsctbl": true, "bkmkstart": true, "bkmkend": true, "shppict": true, "nonshppict": true,
}

// rtfCharsets maps \fcharset numbers to code pages.
var rtfCharsets = map[int]string{
	0: "windows-1252", 128: "shift_jis", 129: "euc-kr", 134: "gbk", 136: "big5", 161: "windows-1253",
	162: "windows-1254", 163: "windows-1258", 177: "windows-1255", 178: "windows-1256",
	186: "windows-1257", 204: "windows-1251", 222: "windows-874", 238: "windows-1250",
}

type rtfState struct {
	skip bool   // inside a destination that is not text
	dest string // the group's destination word, if any
	uc   int    // fallback characters after \u
	font int
}

// parseRTF reads Rich Text: paragraphs, table rows, headings from outline
// levels and heading styles, the title from \info, and text in any code
// page (\ansicpg, per-font \fcharset, \'hh escapes, \u Unicode).
func parseRTF(ctx context.Context, d *Document, data []byte) error {
	p := &rtfParser{d: d, data: data, fonts: map[int]string{}, styleLevel: map[int]int{}}
	p.codepage = "windows-1252"
	return p.run(ctx)
}

type rtfParser struct {
	d          *Document
	data       []byte
	pos        int
	stack      []rtfState
	st         rtfState
	codepage   string
	fonts      map[int]string // font number → code page
	styleLevel map[int]int    // style number → heading level
	pending    []byte         // \'hh bytes waiting to be decoded together
	text       strings.Builder
	level      int // heading level of the current paragraph
	skipChars  int // \u fallback characters still to drop
	h          headings
	title      strings.Builder
	styleName  strings.Builder
	styleNum   int
	fontNum    int
	inCell     bool
}

func (p *rtfParser) run(ctx context.Context) error {
	p.st.uc = 1
	for n := 0; p.pos < len(p.data); n++ {
		if n%8192 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := p.data[p.pos]
		switch c {
		case '{':
			p.flushBytes()
			p.stack = append(p.stack, p.st)
			if len(p.stack) > maxDepth {
				return &ParseError{Err: failure.ErrCorrupt, Detail: "its groups are nested too deeply"}
			}
			p.st.dest = ""
			p.pos++
		case '}':
			p.flushBytes()
			p.endGroup()
			if len(p.stack) == 0 {
				p.pos++
				continue
			}
			p.st = p.stack[len(p.stack)-1]
			p.stack = p.stack[:len(p.stack)-1]
			p.pos++
		case '\\':
			p.control()
		case '\r', '\n':
			p.pos++
		default:
			p.flushBytes()
			p.char(rune(c))
			p.pos++
		}
	}
	p.flushBytes()
	p.endPara()
	if t := strings.TrimSpace(p.title.String()); t != "" {
		p.d.Title = t
	}
	return nil
}

// endGroup finishes what a destination collected.
func (p *rtfParser) endGroup() {
	if p.st.dest == "stylesheet-entry" || (len(p.stack) > 0 && p.stack[len(p.stack)-1].dest == "stylesheet") {
		name := strings.TrimSuffix(strings.TrimSpace(p.styleName.String()), ";")
		if m := headingStyle.FindStringSubmatch(name); m != nil {
			p.styleLevel[p.styleNum], _ = strconv.Atoi(m[2])
		}
		p.styleName.Reset()
	}
}

func (p *rtfParser) char(r rune) {
	if p.skipChars > 0 {
		p.skipChars--
		return
	}
	switch {
	case p.st.dest == "title":
		p.title.WriteRune(r)
	case p.inStylesheet():
		p.styleName.WriteRune(r)
	case p.st.dest == "fonttbl-entry":
	case !p.st.skip:
		p.text.WriteRune(r)
	}
}

func (p *rtfParser) inStylesheet() bool {
	for _, s := range p.stack {
		if s.dest == "stylesheet" {
			return true
		}
	}
	return p.st.dest == "stylesheet"
}

// control reads one control word or symbol at p.pos.
func (p *rtfParser) control() {
	p.pos++ // the backslash
	if p.pos >= len(p.data) {
		return
	}
	c := p.data[p.pos]
	if !isAlpha(c) {
		p.pos++
		switch c {
		case '\'':
			if p.pos+2 <= len(p.data) {
				if v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+2]), 16, 8); err == nil {
					if p.skipChars > 0 {
						p.skipChars--
					} else if !p.st.skip || p.st.dest == "title" {
						p.pending = append(p.pending, byte(v))
					}
				}
				p.pos += 2
			}
		case '*':
			p.st.dest = "*"
		case '~':
			p.flushBytes()
			p.char(' ')
		case '-':
		case '_':
			p.flushBytes()
			p.char('-')
		case '\\', '{', '}':
			p.flushBytes()
			p.char(rune(c))
		case '\n', '\r':
			p.flushBytes()
			p.paragraph()
		}
		return
	}
	start := p.pos
	for p.pos < len(p.data) && isAlpha(p.data[p.pos]) && p.pos-start < 32 {
		p.pos++
	}
	word := string(p.data[start:p.pos])
	num, hasNum := 0, false
	nstart := p.pos
	if p.pos < len(p.data) && (p.data[p.pos] == '-' || isDigit(p.data[p.pos])) {
		p.pos++
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) && p.pos-nstart < 11 {
			p.pos++
		}
		num, _ = strconv.Atoi(string(p.data[nstart:p.pos]))
		hasNum = true
	}
	if p.pos < len(p.data) && p.data[p.pos] == ' ' {
		p.pos++
	}
	if word != "u" {
		p.flushBytes()
	}
	p.word(word, num, hasNum)
}

func (p *rtfParser) word(w string, n int, hasNum bool) {
	if p.st.dest == "*" { // an ignorable destination we may not know
		p.st.dest = w
		if !rtfSkip[w] && w != "fldinst" {
			p.st.skip = true
		}
	}
	if rtfSkip[w] {
		switch w {
		case "info":
			p.st.skip, p.st.dest = true, "info"
		case "stylesheet":
			p.st.skip, p.st.dest = true, "stylesheet"
		case "fonttbl":
			p.st.skip, p.st.dest = true, "fonttbl"
		default:
			p.st.skip, p.st.dest = true, w
		}
		return
	}
	switch w {
	case "title":
		if p.st.skip && (p.st.dest == "info" || p.parentDest() == "info") {
			p.st.dest = "title"
		}
	case "ansicpg":
		if enc, name := charset.Lookup("windows-" + strconv.Itoa(n)); enc != nil {
			p.codepage = name
		} else if n == 932 {
			p.codepage = "shift_jis"
		} else if n == 936 {
			p.codepage = "gbk"
		}
	case "f":
		if p.parentDest() == "fonttbl" || p.st.dest == "fonttbl" {
			p.fontNum = n
			p.st.dest = "fonttbl-entry"
		} else {
			p.st.font = n
		}
	case "fcharset":
		if cp, ok := rtfCharsets[n]; ok {
			p.fonts[p.fontNum] = cp
		}
	case "s":
		if p.inStylesheet() {
			p.styleNum = n
		} else if lvl := p.styleLevel[n]; lvl > 0 {
			p.level = lvl
		}
	case "outlinelevel":
		if n >= 0 && n < 9 {
			p.level = n + 1
		}
	case "uc":
		p.st.uc = max(n, 0)
	case "u":
		if hasNum {
			p.flushBytes()
			if n < 0 {
				n += 65536
			}
			if !p.st.skip || p.st.dest == "title" {
				r := rune(n)
				p.skipChars = 0
				p.char(r)
			}
			p.skipChars = p.st.uc
		}
	case "par", "sect", "page":
		p.paragraph()
	case "line":
		p.char('\n')
	case "tab":
		p.char('\t')
	case "cell":
		p.char(' ')
		p.char('|')
		p.char(' ')
		p.inCell = true
	case "row":
		p.text.WriteString("\n")
	case "trowd":
		p.inCell = true
	case "pard":
		p.level = 0
	case "emdash":
		p.char('—')
	case "endash":
		p.char('–')
	case "lquote":
		p.char('‘')
	case "rquote":
		p.char('’')
	case "ldblquote":
		p.char('“')
	case "rdblquote":
		p.char('”')
	case "bullet":
		p.char('•')
	}
}

func (p *rtfParser) parentDest() string {
	if len(p.stack) == 0 {
		return ""
	}
	return p.stack[len(p.stack)-1].dest
}

// flushBytes decodes pending \'hh bytes in the current font's code page.
func (p *rtfParser) flushBytes() {
	if len(p.pending) == 0 {
		return
	}
	cp := p.codepage
	if f, ok := p.fonts[p.st.font]; ok {
		cp = f
	}
	var enc encoding.Encoding
	if e, _ := charset.Lookup(cp); e != nil {
		enc = e
	}
	var s string
	if enc != nil {
		if b, err := enc.NewDecoder().Bytes(p.pending); err == nil {
			s = string(b)
		}
	}
	if s == "" {
		s = strings.ToValidUTF8(string(p.pending), "\uFFFD")
	}
	p.pending = p.pending[:0]
	for _, r := range s {
		p.char(r)
	}
}

func (p *rtfParser) paragraph() {
	if p.inCell && !strings.Contains(p.text.String(), "|") {
		p.inCell = false
	}
	if p.inCell {
		p.text.WriteString(" ")
		return
	}
	p.endPara()
}

func (p *rtfParser) endPara() {
	t := strings.TrimSpace(collapseSpaces(p.text.String()))
	p.text.Reset()
	p.inCell = false
	if t == "" {
		return
	}
	if p.level > 0 && len(t) < 300 {
		p.h.set(p.level, t)
		p.d.Blocks = append(p.d.Blocks, Block{Text: t, Heading: p.h.path(), Kind: "heading"})
		return
	}
	kind := "paragraph"
	if strings.Contains(t, " | ") {
		kind = "table"
	}
	p.d.Blocks = append(p.d.Blocks, Block{Text: t, Heading: p.h.path(), Kind: kind})
}

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
