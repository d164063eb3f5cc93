package engine

import (
	"testing"
	"time"
)

// What the reader searches for while a question is typed: complete words
// only, until typing pauses on the last one or a mark ends it.
func TestAheadQuery(t *testing.T) {
	for _, tc := range []struct {
		text  string
		quiet time.Duration
		want  string
	}{
		{"", 0, ""},
		{"Wha", 0, ""},
		{"What year", 0, "What"},
		{"What year ", 0, "What year"},
		{"What year did the Norm", 0, "What year did the"},
		{"What year did the Norm", aheadPause, "What year did the Norm"},
		{"What year did the Normans conquer England?", 0, "What year did the Normans conquer England?"},
		{"Summarise the report.", 0, "Summarise the report."},
		{"  leading spaces", 0, "leading"},
		{"line one\nline", 0, "line one"},
	} {
		if got := (aheadState{text: tc.text, quiet: tc.quiet}).query(); got != tc.want {
			t.Errorf("%q after %v: %q, want %q", tc.text, tc.quiet, got, tc.want)
		}
	}
}
