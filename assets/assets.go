// Package assets holds the files Carrel embeds: the icon and the prompts.
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

// SystemPrompt is the default instruction for answering from documents.
//
//go:embed system_prompt.md
var SystemPrompt string

// UngroundedPrompt is the instruction when the person asks the model to
// answer from its own knowledge.
//
//go:embed ungrounded_prompt.md
var UngroundedPrompt string
