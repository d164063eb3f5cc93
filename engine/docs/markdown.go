package docs

import (
	"context"
	"regexp"
	"strings"
)

var (
	atxHeading   = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$`)
	setextH1     = regexp.MustCompile(`^ {0,3}=+\s*$`)
	setextH2     = regexp.MustCompile(`^ {0,3}-+\s*$`)
	fence        = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdLink       = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdEmphasis   = regexp.MustCompile(`(\*\*|__|\*|_|~~|` + "`" + `)([^*_~` + "`" + `\n]+)(\*\*|__|\*|_|~~|` + "`" + `)`)
	mdListMarker = regexp.MustCompile(`^\s*([-*+]|\d+[.)])\s+`)
)

// parseMarkdown keeps the text of a Markdown file and its heading structure;
// link targets and emphasis marks are dropped, code blocks kept as code.
func parseMarkdown(ctx context.Context, d *Document, text string) error {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var h headings
	var para []string
	inCode := false
	var code []string
	flush := func() {
		if len(para) > 0 {
			kind := "paragraph"
			if mdListMarker.MatchString(para[0]) {
				kind = "list"
			}
			d.Blocks = append(d.Blocks, Block{Text: strings.Join(para, "\n"), Heading: h.path(), Kind: kind})
			para = para[:0]
		}
	}
	heading := func(level int, title string) {
		flush()
		title = inlineMarkdown(title)
		h.set(level, title)
		d.Blocks = append(d.Blocks, Block{Text: title, Heading: h.path(), Kind: "heading"})
	}
	for i := 0; i < len(lines); i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		l := lines[i]
		if fence.MatchString(l) {
			if inCode {
				d.Blocks = append(d.Blocks, Block{Text: strings.Join(code, "\n"), Heading: h.path(), Kind: "code"})
				code, inCode = code[:0], false
			} else {
				flush()
				inCode = true
			}
			continue
		}
		if inCode {
			code = append(code, l)
			continue
		}
		if m := atxHeading.FindStringSubmatch(l); m != nil {
			heading(len(m[1]), m[2])
			continue
		}
		if len(para) == 1 && strings.TrimSpace(l) != "" && (setextH1.MatchString(l) || (setextH2.MatchString(l) && len(strings.TrimSpace(l)) >= 2)) {
			title := para[0]
			para = para[:0]
			level := 1
			if setextH2.MatchString(l) {
				level = 2
			}
			heading(level, title)
			continue
		}
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		para = append(para, inlineMarkdown(l))
	}
	flush()
	if inCode && len(code) > 0 {
		d.Blocks = append(d.Blocks, Block{Text: strings.Join(code, "\n"), Heading: h.path(), Kind: "code"})
	}
	return nil
}

// inlineMarkdown drops link targets, images' addresses and emphasis marks.
func inlineMarkdown(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	for i := 0; i < 3; i++ {
		s = mdEmphasis.ReplaceAllString(s, "$2")
	}
	return strings.TrimRight(s, " ")
}
