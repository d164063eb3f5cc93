package llm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStreamer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stop   []string
		pieces []string
		want   []string // what each push returns, then flush
		stops  bool
	}{
		{"plain", nil, []string{"Hel", "lo"}, []string{"Hel", "lo", ""}, false},
		{"split rune", nil, []string{"caf", "\xc3", "\xa9!"}, []string{"caf", "", "é!", ""}, false},
		{"split 4-byte", nil, []string{"\xf0\x9f", "\x98", "\x80x"}, []string{"", "", "😀x", ""}, false},
		{"stop across pieces", []string{"\nUser:"}, []string{"Hi\nUs", "er: more"}, []string{"Hi", "", ""}, true},
		{"held prefix released", []string{"###"}, []string{"a#", "#b"}, []string{"a", "##b", ""}, false},
		{"stop at start", []string{"STOP"}, []string{"STOP now"}, []string{"", ""}, true},
		{"held at end flushed", []string{"</s>"}, []string{"end </"}, []string{"end ", "</"}, false},
		{"invalid bytes", nil, []string{"a\xff", "b"}, []string{"a\uFFFD", "b", ""}, false},
		{"truncated rune at end", nil, []string{"x\xe2\x82"}, []string{"x", "\uFFFD"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &streamer{stop: tc.stop}
			var got []string
			for _, p := range tc.pieces {
				got = append(got, s.push([]byte(p)))
				if s.stopped {
					break
				}
			}
			got = append(got, s.flush())
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if s.stopped != tc.stops {
				t.Errorf("stopped = %v", s.stopped)
			}
		})
	}
}

func FuzzStreamer(f *testing.F) {
	f.Add([]byte("héllo wörld 😀"), 3, "wör")
	f.Fuzz(func(t *testing.T, data []byte, cut int, stop string) {
		if !utf8.Valid(data) {
			return
		}
		s := &streamer{stop: []string{stop}}
		var out strings.Builder
		step := cut%7 + 1
		for i := 0; i < len(data); i += step {
			chunk := s.push(data[i:min(i+step, len(data))])
			if !utf8.ValidString(chunk) {
				t.Fatalf("emitted invalid UTF-8 %q", chunk)
			}
			out.WriteString(chunk)
		}
		out.WriteString(s.flush())
		want := string(data)
		if stop != "" {
			if i := strings.Index(want, stop); i >= 0 {
				want = want[:i]
			}
		}
		if out.String() != want {
			t.Fatalf("streamed %q, want %q", out.String(), want)
		}
	})
}
