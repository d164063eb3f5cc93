package llm

import (
	"strings"
	"unicode/utf8"
)

// streamer turns token pieces into text that is safe to show: it never
// emits part of a multi-byte UTF-8 character, and it holds back text that
// could be the start of a stop string until it knows it is not.
type streamer struct {
	stop    []string
	pending []byte // bytes received but not yet emitted
	stopped bool
}

// push adds a piece and returns the text that can be emitted now. After a
// stop string is seen, stopped is set and the text before it is returned.
func (s *streamer) push(piece []byte) string {
	if s.stopped {
		return ""
	}
	s.pending = append(s.pending, piece...)
	// Only complete characters are candidates for emission.
	valid := completeUTF8(s.pending)
	text := string(s.pending[:valid])
	for _, st := range s.stop {
		if st == "" {
			continue
		}
		if i := strings.Index(text, st); i >= 0 {
			s.stopped = true
			s.pending = nil
			return text[:i]
		}
	}
	// Hold back the longest suffix that is a prefix of a stop string.
	hold := 0
	for _, st := range s.stop {
		for k := min(len(st)-1, len(text)); k > hold; k-- {
			if strings.HasSuffix(text, st[:k]) {
				hold = k
				break
			}
		}
	}
	out := text[:len(text)-hold]
	s.pending = append(s.pending[:0], s.pending[len(out):]...)
	return strings.ToValidUTF8(out, "\uFFFD")
}

// flush returns what is still held at the end of generation. Invalid bytes
// (a model that emitted a broken sequence) become U+FFFD.
func (s *streamer) flush() string {
	if s.stopped {
		return ""
	}
	out := strings.ToValidUTF8(string(s.pending), "\uFFFD")
	s.pending = nil
	return out
}

// completeUTF8 returns the length of the longest prefix of b that does not
// end inside an incomplete multi-byte character. Invalid bytes count as
// complete: they are emitted at once as U+FFFD.
func completeUTF8(b []byte) int {
	// A character is at most 4 bytes: look at the last 3 for a lead byte.
	for i := len(b) - 1; i >= 0 && i >= len(b)-3; i-- {
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // a lead byte
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if len(b)-i < need {
				if utf8.FullRune(b[i:]) { // invalid sequence: do not wait for it
					return len(b)
				}
				return i
			}
			return len(b)
		}
	}
	return len(b)
}
