package rag

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/internal/atomicfile"
)

// Conversation is a series of questions and answers, with each answer's
// full record.
type Conversation struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Library string    `json:"library,omitempty"` // "" for all libraries
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Turns   []Answer  `json:"turns"`
}

// History returns the conversation as earlier turns for a follow-up.
func (c *Conversation) History() []Turn {
	out := make([]Turn, 0, len(c.Turns))
	for _, a := range c.Turns {
		t := Turn{Question: a.Question, Answer: a.Text}
		if a.Asked != "" { // written from sources, cited or not
			t.Asked, t.Sources, t.Carried = a.Asked, a.Sources, a.Carried
		}
		out = append(out, t)
	}
	return out
}

// Summary describes a conversation in a list.
type Summary struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Library string    `json:"library,omitempty"`
	Turns   int       `json:"turns"`
	Updated time.Time `json:"updated"`
}

// ErrNoConversation means no conversation has that id.
var ErrNoConversation = errors.New("rag: no such conversation")

// Store keeps conversations as files in a folder, one JSON file per
// conversation, each written atomically (a new file renamed over the old),
// so a crash leaves the old version or the new one. It is safe for
// concurrent use within one process.
type Store struct {
	dir string
	mu  sync.Mutex
}

// OpenStore opens (creating if needed) the conversation folder dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("rag: conversations folder: %w", err)
	}
	return &Store{dir: dir}, nil
}

var idPattern = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$`)

// New starts a conversation (saved with its first Save).
func (s *Store) New(library string) *Conversation {
	var b [3]byte
	rand.Read(b[:])
	now := time.Now().UTC()
	return &Conversation{ID: now.Format("20060102-150405") + "-" + hex.EncodeToString(b[:]), Library: library, Created: now, Updated: now}
}

func (s *Store) path(id string) (string, error) {
	if !idPattern.MatchString(id) {
		return "", fmt.Errorf("%w: %q", ErrNoConversation, id)
	}
	return filepath.Join(s.dir, id+".json"), nil
}

// Save writes the conversation. Its title defaults to the first question.
func (s *Store) Save(c *Conversation) error {
	p, err := s.path(c.ID)
	if err != nil {
		return err
	}
	if c.Title == "" && len(c.Turns) > 0 {
		c.Title = clip(c.Turns[0].Question, 60)
	}
	c.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("rag: encoding conversation: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := atomicfile.Write(p, data); err != nil {
		return fmt.Errorf("rag: saving conversation: %w", err)
	}
	return nil
}

// Load reads a conversation.
func (s *Store) Load(id string) (*Conversation, error) {
	p, err := s.path(id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoConversation, id)
	}
	if err != nil {
		return nil, fmt.Errorf("rag: reading conversation: %w", err)
	}
	var c Conversation
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("rag: conversation %s is damaged: %w", id, err)
	}
	return &c, nil
}

// List returns the conversations, most recently updated first. Damaged
// files are skipped.
func (s *Store) List() ([]Summary, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("rag: listing conversations: %w", err)
	}
	var out []Summary
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !idPattern.MatchString(id) {
			continue
		}
		c, err := s.Load(id)
		if err != nil {
			continue
		}
		out = append(out, Summary{ID: c.ID, Title: c.Title, Library: c.Library, Turns: len(c.Turns), Updated: c.Updated})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

// Rename gives a conversation a new title.
func (s *Store) Rename(id, title string) error {
	c, err := s.Load(id)
	if err != nil {
		return err
	}
	c.Title = strings.TrimSpace(title)
	return s.Save(c)
}

// Delete removes a conversation.
func (s *Store) Delete(id string) error {
	p, err := s.path(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNoConversation, id)
	} else if err != nil {
		return fmt.Errorf("rag: deleting conversation: %w", err)
	}
	return nil
}

var citeMarker = regexp.MustCompile(`\[(\d+)\]`)

// Markdown renders the conversation for export, with each answer's cited
// sources as footnotes (file, page or heading, and the passage).
func (c *Conversation) Markdown() string {
	var b strings.Builder
	title := c.Title
	if title == "" {
		title = "Conversation"
	}
	fmt.Fprintf(&b, "# %s\n\n", title)
	var notes strings.Builder
	for i, a := range c.Turns {
		fmt.Fprintf(&b, "**Question:** %s\n\n", strings.TrimSpace(a.Question))
		used := map[int]bool{}
		text := citeMarker.ReplaceAllStringFunc(a.Text, func(m string) string {
			n := 0
			fmt.Sscanf(m, "[%d]", &n)
			used[n] = true
			return fmt.Sprintf("[^%d-%d]", i+1, n)
		})
		fmt.Fprintf(&b, "**Answer:** %s\n\n", strings.TrimSpace(text))
		switch a.Outcome {
		case NotFound:
			b.WriteString("*Not found in the documents.*\n\n")
		case Ungrounded:
			b.WriteString("*Answered from the model's own knowledge, not from the documents.*\n\n")
		}
		for _, s := range a.Sources {
			if !used[s.N] {
				continue
			}
			fmt.Fprintf(&notes, "[^%d-%d]: %s — “%s”\n", i+1, s.N, s.Locator(), clip(s.Text, 240))
		}
		if !a.At.IsZero() {
			fmt.Fprintf(&b, "<sub>%s · %s", a.At.Local().Format("2006-01-02 15:04"), a.Model.Name)
			if !a.IndexedAt.IsZero() {
				fmt.Fprintf(&b, " · index fresh as of %s", a.IndexedAt.Local().Format("2006-01-02 15:04"))
			}
			b.WriteString("</sub>\n\n")
		}
	}
	if notes.Len() > 0 {
		b.WriteString("---\n\n")
		b.WriteString(notes.String())
	}
	return b.String()
}
