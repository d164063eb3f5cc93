// Package assets holds the files Carrel embeds: the icon and, as the
// product grows, prompt templates.
package assets

import _ "embed"

// IconSVG is the app icon, drawn as SVG (icon.png is rendered from it by
// packaging/icon).
//
//go:embed icon.svg
var IconSVG []byte

// IconPNG is the icon at 512×512.
//
//go:embed icon.png
var IconPNG []byte
