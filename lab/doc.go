// Package lab is Carrel's measuring bench: retrieval and answer
// evaluation, OCR and evidence measurement, and the synthetic libraries of
// the bench commands. It sits beside the product, not inside it: it drives
// the engine facade as any program embedding Carrel would, and writes
// synthetic libraries straight into the store (engine/index), so that a
// million passages are made in minutes rather than embedded for days.
package lab
