package docs

import (
	"context"
	"encoding/xml"
	"errors"
	"net/url"
	"path"
	"strings"

	"github.com/carrel-ai/carrel/engine/failure"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseEPUB reads an e-book's chapters in spine order; headings inside a
// chapter give the heading path, and a chapter without one is headed by
// its title from the table of contents or its file name.
func parseEPUB(ctx context.Context, d *Document, data []byte) (err error) {
	a, err := openArchive(data)
	if err != nil {
		return err
	}
	container, err := a.member("META-INF/container.xml")
	if err != nil {
		return err
	}
	var opfPath string
	xmlWalk(ctx, container, func(tok xml.Token, _ []string) error {
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "rootfile" && opfPath == "" {
			opfPath = attr(e, "full-path")
		}
		return nil
	})
	if opfPath == "" {
		return &ParseError{Err: failure.ErrCorrupt, Detail: "its container names no package file"}
	}
	opf, err := a.member(opfPath)
	if err != nil {
		return err
	}
	base := path.Dir(opfPath)
	manifest := map[string]string{} // id → href
	var spine []string
	var title, lang string
	xmlWalk(ctx, opf, func(tok xml.Token, stack []string) error {
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "item":
				manifest[attr(t, "id")] = attr(t, "href")
			case "itemref":
				if attr(t, "linear") != "no" {
					spine = append(spine, attr(t, "idref"))
				}
			}
		case xml.CharData:
			if len(stack) > 0 && inStack(stack, "metadata") {
				switch stack[len(stack)-1] {
				case "title":
					if title == "" {
						title = strings.TrimSpace(string(t))
					}
				case "language":
					if lang == "" {
						lang = strings.TrimSpace(string(t))
					}
				}
			}
		}
		return nil
	})
	d.Title = title
	if lang != "" {
		d.Language = strings.ToLower(strings.SplitN(lang, "-", 2)[0])
	}
	if len(spine) == 0 {
		return &ParseError{Err: failure.ErrCorrupt, Detail: "its reading order (spine) is empty"}
	}
	// A chapter over the size limits is skipped; if nothing else can be
	// read, the book is too large (a zip bomb), not empty.
	var tooLarge error
	defer func() {
		if len(d.Blocks) == 0 && tooLarge != nil && err == nil {
			err = tooLarge
		}
	}()
	for _, id := range spine {
		if err := ctx.Err(); err != nil {
			return err
		}
		href := manifest[id]
		if href == "" {
			d.warnf("chapter %q is missing from the manifest", id)
			continue
		}
		name := path.Join(base, strings.SplitN(href, "#", 2)[0])
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
		b, err := a.member(name)
		if err != nil {
			if errors.Is(err, failure.ErrTooLarge) && tooLarge == nil {
				tooLarge = err
			}
			d.warnf("chapter %s: %v", name, err)
			continue
		}
		root, err := html.Parse(strings.NewReader(decodeHTML(b)))
		if err != nil {
			d.warnf("chapter %s is damaged", name)
			continue
		}
		h := &headings{}
		first := len(d.Blocks)
		htmlBlocks(ctx, d, root, h, false)
		// A chapter without headings is headed by its title or file name.
		hasHeading := false
		for _, bl := range d.Blocks[first:] {
			hasHeading = hasHeading || bl.Kind == "heading"
		}
		if !hasHeading {
			ct := strings.TrimSpace(nodeText(findFirst(root, atom.Title)))
			if ct == "" {
				ct = strings.TrimSuffix(path.Base(name), path.Ext(name))
			}
			for i := first; i < len(d.Blocks); i++ {
				d.Blocks[i].Heading = ct
			}
		}
	}
	return nil
}
