package llm

import "strings"

// plainTranscript formats a conversation for a model that has no chat
// template (a base model): a readable transcript that ends with the cue for
// the assistant's turn. Generation stops when the model starts a new "User:"
// turn (see plainStop).
func plainTranscript(msgs []Message, addAssistant bool) string {
	var b strings.Builder
	for _, m := range msgs {
		switch m.Role {
		case "system":
			b.WriteString(strings.TrimSpace(m.Content))
			b.WriteString("\n\n")
		case "assistant":
			b.WriteString("Assistant: ")
			b.WriteString(strings.TrimSpace(m.Content))
			b.WriteString("\n")
		default:
			b.WriteString("User: ")
			b.WriteString(strings.TrimSpace(m.Content))
			b.WriteString("\n")
		}
	}
	if addAssistant {
		b.WriteString("Assistant:")
	}
	return b.String()
}

// plainStop ends a plain-transcript answer where the model would go on to
// invent the user's next turn.
var plainStop = []string{"\nUser:"}

// dropOldest removes the oldest turn after any system messages: the first
// user message and the assistant reply that follows it. It reports false
// when only the system prompt and the final message remain.
func dropOldest(msgs []Message) ([]Message, int, bool) {
	first := 0
	for first < len(msgs) && msgs[first].Role == "system" {
		first++
	}
	if len(msgs)-first <= 1 {
		return msgs, 0, false
	}
	n := 1
	if first+1 < len(msgs)-1 && msgs[first].Role == "user" && msgs[first+1].Role == "assistant" {
		n = 2
	}
	out := append(append([]Message{}, msgs[:first]...), msgs[first+n:]...)
	return out, n, true
}
