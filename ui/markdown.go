package ui

import (
	"strings"

	"fyne.io/fyne/v2/widget"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// markdownSegments renders Markdown as rich-text segments, as Fyne's
// ParseMarkdown does but without its inserted spaces: the parser cuts
// text at every character that could start inline syntax ("!", "_", "[")
// and Fyne puts a space after each piece, so "go!" read "go !", "L_ily"
// "L_ ily", and a line could wrap inside a word at such a cut. Here a
// space is added only where the text has a line break.
func markdownSegments(src string) []widget.RichTextSegment {
	source := []byte(src)
	doc := goldmark.New().Parser().Parse(text.NewReader(source))
	return blockSegments(source, doc, false)
}

// blockSegments renders the block children of n.
func blockSegments(source []byte, n ast.Node, quote bool) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch b := c.(type) {
		case *ast.Paragraph, *ast.TextBlock:
			out = append(out, inlineSegments(source, b, inlineStyle(quote))...)
			if !quote {
				out = append(out, &widget.TextSegment{Style: widget.RichTextStyleParagraph})
			}
		case *ast.Heading:
			st := widget.RichTextStyleParagraph
			st.TextStyle.Bold = true
			switch b.Level {
			case 1:
				st = widget.RichTextStyleHeading
			case 2:
				st = widget.RichTextStyleSubHeading
			}
			out = append(out, &widget.TextSegment{Style: st, Text: plainText(source, b)})
		case *ast.List:
			l := &widget.ListSegment{Ordered: b.IsOrdered()}
			if b.IsOrdered() {
				l.SetStartNumber(b.Start)
			}
			for item := b.FirstChild(); item != nil; item = item.NextSibling() {
				l.Items = append(l.Items, &widget.ParagraphSegment{Texts: blockSegments(source, item, quote)})
			}
			out = append(out, l)
		case *ast.Blockquote:
			out = append(out, blockSegments(source, b, true)...)
			out = append(out, &widget.TextSegment{Style: widget.RichTextStyleParagraph})
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			var code strings.Builder
			lines := b.Lines()
			for i := 0; i < lines.Len(); i++ {
				seg := lines.At(i)
				code.Write(seg.Value(source))
			}
			out = append(out, &widget.TextSegment{Style: widget.RichTextStyleCodeBlock, Text: strings.TrimSuffix(code.String(), "\n")})
		case *ast.ThematicBreak:
			out = append(out, &widget.SeparatorSegment{})
		default:
			if c.Type() == ast.TypeInline {
				out = append(out, inlineSegments(source, c, inlineStyle(quote))...)
			} else {
				out = append(out, blockSegments(source, c, quote)...)
			}
		}
	}
	return out
}

func inlineStyle(quote bool) widget.RichTextStyle {
	if quote {
		return widget.RichTextStyleBlockquote
	}
	return widget.RichTextStyleInline
}

// inlineSegments renders the inline children of n in style st, joining
// neighbouring pieces of one style into one segment.
func inlineSegments(source []byte, n ast.Node, st widget.RichTextStyle) []widget.RichTextSegment {
	var out []widget.RichTextSegment
	add := func(s string, style widget.RichTextStyle) {
		if s == "" {
			return
		}
		if k := len(out); k > 0 {
			if prev, ok := out[k-1].(*widget.TextSegment); ok && prev.Style == style {
				prev.Text += s
				return
			}
		}
		out = append(out, &widget.TextSegment{Style: style, Text: s})
	}
	var walk func(n ast.Node, style widget.RichTextStyle)
	walk = func(n ast.Node, style widget.RichTextStyle) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch t := c.(type) {
			case *ast.Text:
				s := string(t.Value(source))
				if t.SoftLineBreak() || t.HardLineBreak() {
					s += " "
				}
				add(s, style)
			case *ast.String:
				add(string(t.Value), style)
			case *ast.Emphasis:
				em := style
				if t.Level >= 2 {
					em.TextStyle.Bold = true
				} else {
					em.TextStyle.Italic = true
				}
				walk(t, em)
			case *ast.CodeSpan:
				code := widget.RichTextStyleCodeInline
				add(plainText(source, t), code)
			case *ast.AutoLink:
				add(string(t.Label(source)), style)
			case *ast.RawHTML:
				segs := t.Segments
				for i := 0; i < segs.Len(); i++ {
					seg := segs.At(i)
					add(string(seg.Value(source)), style)
				}
			default: // links and images show their text
				walk(c, style)
			}
		}
	}
	walk(n, st)
	return out
}

// plainText is the text of n's inline children.
func plainText(source []byte, n ast.Node) string {
	var b strings.Builder
	for _, s := range inlineSegments(source, n, widget.RichTextStyleInline) {
		b.WriteString(s.(*widget.TextSegment).Text)
	}
	return strings.TrimSpace(b.String())
}
