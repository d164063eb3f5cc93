package docs

import (
	"bytes"
	"context"
	"strings"
	"unicode"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/carrel-ai/carrel/engine/failure"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// parseHTML reads a web page: the declared or detected charset, then the
// main content as Mozilla's Readability finds it (not the navigation, ads
// and footers around it), with its heading structure. A page too short for
// Readability keeps its whole body.
func parseHTML(ctx context.Context, d *Document, data []byte) error {
	text := decodeHTML(data)
	root, err := html.Parse(strings.NewReader(text))
	if err != nil {
		return &ParseError{Err: failure.ErrCorrupt, Detail: err.Error()}
	}
	d.Title = strings.TrimSpace(nodeText(findFirst(root, atom.Title)))
	if lang := attrOf(findFirst(root, atom.Html), "lang"); lang != "" {
		d.Language = strings.ToLower(strings.SplitN(strings.SplitN(lang, "-", 2)[0], "_", 2)[0])
	}
	body := findFirst(root, atom.Body)
	if body == nil {
		body = root
	}
	whole := textSize(nodeText(body))

	if ctx.Err() != nil {
		return ctx.Err()
	}
	readRoot, err := html.Parse(strings.NewReader(text)) // Readability rewrites the tree it gets
	if err == nil {
		if art, err := readability.FromDocument(readRoot, nil); err == nil && art.Node != nil {
			// Short pages are read whole: there is little chrome to lose
			// and Readability may drop part of the content.
			main := textSize(nodeText(art.Node))
			if whole >= 200 && (main >= 80 || main*4 >= whole) {
				if t := strings.TrimSpace(art.Title()); t != "" && d.Title == "" {
					d.Title = t
				}
				htmlBlocks(ctx, d, art.Node, &headings{}, false)
				if len(d.Blocks) > 0 {
					return nil
				}
			}
		}
	}
	htmlBlocks(ctx, d, body, &headings{}, true)
	return nil
}

// textSize counts words, and each CJK character as one, so pages in
// languages written without spaces are measured fairly.
func textSize(s string) int {
	n := 0
	in := false
	for _, r := range s {
		switch {
		case isCJK(r):
			n++
			in = false
		case unicode.IsSpace(r):
			in = false
		default:
			if !in {
				n++
			}
			in = true
		}
	}
	return n
}

// decodeHTML converts a page to UTF-8: a BOM wins; a declared charset is
// used when the bytes agree with it; otherwise the charset is detected.
func decodeHTML(data []byte) string {
	_, name, certain := charset.DetermineEncoding(data, "text/html")
	declared := ""
	if certain || bytes.Contains(bytes.ToLower(data[:min(len(data), 4096)]), []byte("charset")) {
		declared = name
	}
	if strings.EqualFold(declared, "utf-8") {
		declared = "" // decodeText checks UTF-8 validity itself
	}
	text, _ := decodeText(data, declared)
	return text
}

// blockTags start a new paragraph; skipTags are never read; chromeTags are
// page furniture skipped when the whole body is read.
var (
	blockTags = map[atom.Atom]bool{
		atom.P: true, atom.Div: true, atom.Li: true, atom.Dt: true, atom.Dd: true, atom.Blockquote: true,
		atom.Pre: true, atom.Figcaption: true, atom.Caption: true, atom.Address: true, atom.Section: true,
		atom.Article: true, atom.Main: true, atom.Br: true, atom.Hr: true, atom.Ul: true, atom.Ol: true,
		atom.Dl: true, atom.Details: true, atom.Summary: true, atom.Figure: true,
	}
	skipTags = map[atom.Atom]bool{
		atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Svg: true,
		atom.Head: true, atom.Iframe: true, atom.Object: true, atom.Canvas: true, atom.Button: true,
		atom.Select: true, atom.Input: true, atom.Textarea: true,
	}
	chromeTags = map[atom.Atom]bool{atom.Nav: true, atom.Footer: true, atom.Aside: true, atom.Form: true, atom.Header: true}
)

// htmlBlocks walks n and appends its paragraphs, headings, list items and
// tables to d.
func htmlBlocks(ctx context.Context, d *Document, n *html.Node, h *headings, skipChrome bool) {
	var cur strings.Builder
	kind := "paragraph"
	flush := func() {
		if t := strings.TrimSpace(collapseSpaces(cur.String())); t != "" {
			d.Blocks = append(d.Blocks, Block{Text: t, Heading: h.path(), Kind: kind})
		}
		cur.Reset()
		kind = "paragraph"
	}
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > maxDepth || ctx.Err() != nil {
			return
		}
		switch n.Type {
		case html.TextNode:
			cur.WriteString(strings.ReplaceAll(n.Data, "\n", " "))
			return
		case html.ElementNode:
			if skipTags[n.DataAtom] || (skipChrome && chromeTags[n.DataAtom]) || attrOf(n, "hidden") != "" || attrOf(n, "aria-hidden") == "true" {
				return
			}
			switch n.DataAtom {
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				flush()
				title := strings.TrimSpace(collapseSpaces(strings.ReplaceAll(nodeText(n), "\n", " ")))
				if title != "" {
					h.set(int(n.Data[1]-'0'), title)
					d.Blocks = append(d.Blocks, Block{Text: title, Heading: h.path(), Kind: "heading"})
				}
				return
			case atom.Table:
				flush()
				if t := tableText(n); t != "" {
					d.Blocks = append(d.Blocks, Block{Text: t, Heading: h.path(), Kind: "table"})
				}
				return
			case atom.Pre:
				flush()
				if t := strings.TrimRight(nodeText(n), "\n "); strings.TrimSpace(t) != "" {
					d.Blocks = append(d.Blocks, Block{Text: t, Heading: h.path(), Kind: "code"})
				}
				return
			}
			if blockTags[n.DataAtom] {
				flush()
				if n.DataAtom == atom.Li {
					kind = "list"
					cur.WriteString("• ")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
		if n.Type == html.ElementNode && blockTags[n.DataAtom] {
			flush()
		}
	}
	walk(n, 0)
	flush()
}

// tableText renders a table a row per line, cells separated by " | ".
func tableText(t *html.Node) string {
	var lines []string
	var rows func(n *html.Node, depth int)
	rows = func(n *html.Node, depth int) {
		if depth > maxDepth {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.DataAtom == atom.Tr {
				var cells []string
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) {
						if s := strings.TrimSpace(collapseSpaces(strings.ReplaceAll(nodeText(td), "\n", " "))); s != "" {
							cells = append(cells, s)
						}
					}
				}
				if len(cells) > 0 {
					lines = append(lines, strings.Join(cells, " | "))
				}
				continue
			}
			if c.DataAtom != atom.Table { // thead, tbody, tfoot
				rows(c, depth+1)
			}
		}
	}
	rows(t, 0)
	return strings.Join(lines, "\n")
}

// nodeText is the text under n, without scripts and styles.
func nodeText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > maxDepth {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			return
		}
		if n.Type == html.ElementNode && skipTags[n.DataAtom] {
			return
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Br || blockTags[n.DataAtom]) {
			b.WriteByte('\n')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

func findFirst(n *html.Node, a atom.Atom) *html.Node {
	if n == nil {
		return nil
	}
	stack := []*html.Node{n}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.Type == html.ElementNode && x.DataAtom == a {
			return x
		}
		for c := x.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, c)
		}
	}
	return nil
}

func attrOf(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
