package llm

import (
	"reflect"
	"testing"
)

func TestPlainTranscript(t *testing.T) {
	got := plainTranscript([]Message{
		{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Why?"},
	}, true)
	want := "Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Why?\nAssistant:"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDropOldest(t *testing.T) {
	sys := Message{"system", "s"}
	u1, a1, u2, a2, u3 := Message{"user", "1"}, Message{"assistant", "a1"}, Message{"user", "2"}, Message{"assistant", "a2"}, Message{"user", "3"}
	for _, tc := range []struct {
		in     []Message
		want   []Message
		n      int
		false_ bool
	}{
		{[]Message{sys, u1, a1, u2, a2, u3}, []Message{sys, u2, a2, u3}, 2, false},
		{[]Message{u1, a1, u3}, []Message{u3}, 2, false},
		{[]Message{sys, a1, u3}, []Message{sys, u3}, 1, false},
		{[]Message{sys, u3}, []Message{sys, u3}, 0, true},
	} {
		got, n, ok := dropOldest(tc.in)
		if !reflect.DeepEqual(got, tc.want) || n != tc.n || ok == tc.false_ {
			t.Errorf("dropOldest(%v) = %v, %d, %v", tc.in, got, n, ok)
		}
	}
}
