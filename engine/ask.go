package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/inference"
	"github.com/carrel-ai/carrel/engine/rag"
)

// Answer is an answer with its sources, citations and the record of what
// it was based on.
type Answer = rag.Answer

// Delta is a piece of a streamed answer.
type Delta = rag.Delta

// Preview is the sentence an answer shows before the model has read its
// sources (see rag.Preview).
type Preview = rag.Preview

// Citation, Source and Conversation are re-exported from engine/rag.
type (
	Citation     = rag.Citation
	Source       = rag.Source
	Conversation = rag.Conversation
	// ConversationSummary describes a conversation in a list.
	ConversationSummary = rag.Summary
	// Timings of an answer.
	Timings = rag.Timings
)

// Outcomes of an answer.
const (
	Answered      = rag.Answered
	Uncited       = rag.Uncited
	NotFound      = rag.NotFound
	Ungrounded    = rag.Ungrounded
	RetrievalOnly = rag.RetrievalOnly
)

// AskOptions shape a question.
type AskOptions struct {
	// Library to answer from; "" means the settings' default library, or
	// every library when that is "" too.
	Library string
	// Conversation continues a conversation (its earlier turns inform the
	// answer); "" starts a new one. The answer's Conversation field names
	// the conversation it was saved in.
	Conversation string
	// Ungrounded asks the model to answer from its own knowledge; the
	// answer is marked as not grounded in the documents.
	Ungrounded bool
	// Folder and Formats narrow the documents searched; Documents, when
	// set, answers from these documents only (their paths).
	Folder    string
	Formats   []string
	Documents []string
	// NoSave does not record the exchange in a conversation.
	NoSave bool
	// History, when set, is the conversation so far as the caller keeps
	// it (an API client): pairs of user questions and assistant answers,
	// used to make a follow-up question standalone. It is ignored when
	// Conversation names a saved conversation.
	History []ChatMessage
}

// Ask answers a question from the library, streaming the answer to emit
// (which may be nil), and saves the exchange in its conversation. Without
// a chat model it returns the best passages (Outcome RetrievalOnly); when
// the documents hold nothing relevant it says so without asking the model
// (Outcome NotFound). Cancelling ctx stops the answer; what was written so
// far is returned and saved.
func (e *Engine) Ask(ctx context.Context, question string, o AskOptions, emit func(Delta) error) (*Answer, error) {
	start := time.Now()
	question = strings.TrimSpace(question)
	if question == "" {
		return nil, ErrEmptyQuestion
	}
	if _, err := e.ingesters(); err != nil {
		return nil, err
	}
	ctx, cancel := e.since(ctx)
	defer cancel()
	defer e.answering()()
	p, err := e.askingFor(ctx, o)
	if err != nil {
		return nil, err
	}
	set, filter, libName, cfg := p.set, p.filter, p.lib, p.cfg
	var conv *rag.Conversation
	if o.Conversation != "" {
		if conv, err = e.chats.Load(o.Conversation); err != nil {
			return nil, err
		}
	} else {
		conv = e.chats.New(libName)
	}
	history := conv.History()
	if o.Conversation == "" && len(o.History) > 0 {
		history = turnsOf(o.History)
	}
	search := func(q string) (rag.Retrieval, error) { return e.search(ctx, q, cfg) }
	lib := sections{e.all}

	// Retrieval runs while the model loads. A follow-up needs the model
	// first, to turn it into a standalone query.
	var cm *inference.Chat
	var r rag.Retrieval
	var rerr error
	acquire := e.model.Acquire
	if ms, ok := set.LibraryChatServers[libName]; ok && libName != "" && !e.opts.NoChatModel {
		acquire = func(ctx context.Context) (*inference.Chat, error) { return libraryChat(ctx, set, ms) }
	}
	if len(history) > 0 {
		if cm, err = acquire(ctx); err != nil {
			return nil, err
		}
		query, _ := rag.StandaloneQuery(ctx, cm.OrNil(), cfg, history, question)
		r, rerr = search(query)
		if rerr == nil && query != question {
			// The question as asked is searched too: a rewrite must never
			// make a question that stands on its own worse.
			if asked, err := search(question); err == nil {
				r = rag.FollowUpRetrieval(r, asked, cfg.Sources)
			}
		}
	} else {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, rerr = search(question)
		}()
		cm, err = acquire(ctx)
		wg.Wait()
		if err != nil {
			if cm != nil {
				cm.Release()
			}
			return nil, err
		}
	}
	if cm != nil {
		defer cm.Release()
	}
	if rerr != nil {
		return nil, rerr
	}
	model := cm.OrNil()
	var record func() rag.ModelRecord
	if cm != nil {
		// Read after the answer: a model server names its model in its
		// reply.
		record = cm.Record
		// A library with an adapter of its own is answered with it.
		if path, ok := set.LibraryAdapters[libName]; ok && libName != "" {
			if model, record, err = cm.WithAdapter(ctx, path); err != nil {
				return nil, err
			}
		}
	}
	r.IndexedAt = e.indexedAt(filter)
	a, err := rag.Respond(ctx, model, lib, rag.Question{Text: question, History: history, Ungrounded: o.Ungrounded, Asked: start}, r, cfg, emit)
	if a == nil {
		return nil, err
	}
	a.Library = libName
	if record != nil {
		a.Model = record()
	}
	if !o.NoSave {
		a.Conversation = conv.ID
		conv.Turns = append(conv.Turns, *a)
		if serr := e.chats.Save(conv); serr != nil && err == nil {
			err = fmt.Errorf("engine: the answer could not be saved: %w", serr)
		}
	}
	return a, err
}

// asking is how a question is answered: the settings, the library's
// filter and name, and rag's configuration.
type asking struct {
	set    Settings
	filter index.Filter
	lib    string
	cfg    rag.Config
}

// askingFor is how a question asked with o is answered.
func (e *Engine) askingFor(ctx context.Context, o AskOptions) (asking, error) {
	set := e.Settings()
	if o.Library == "" {
		o.Library = set.Library
	}
	filter, lib, err := e.filter(ctx, o.Library, o.Folder, o.Formats, o.Documents)
	if err != nil {
		return asking{}, err
	}
	cfg := rag.Config{SystemPrompt: set.SystemPrompt, Sources: set.Sources, AnswerTokens: set.AnswerTokens,
		Temperature: set.Temperature, Seed: rand.Int64N(1 << 31)}
	cfg.Search.Filter = filter
	return asking{set: set, filter: filter, lib: lib, cfg: cfg}, nil
}

// search retrieves the passages of q. The retriever is taken for the
// search alone: it holds the previous embedding model open, if any, and
// an answer may take minutes.
func (e *Engine) search(ctx context.Context, q string, cfg rag.Config) (rag.Retrieval, error) {
	rt, done := e.retriever()
	defer done()
	r, err := rag.Retrieve(ctx, rt, q, cfg)
	return r, e.storeFailure(err)
}

// libraryChat is the model server a library's questions go to
// (Settings.LibraryChatServers), held for one answer as the model slot's
// acquire holds the chat model. A client costs nothing to make: nothing is
// loaded, and the server is reached when the answer asks.
func libraryChat(ctx context.Context, set Settings, ms ModelServer) (*inference.Chat, error) {
	cm, err := inference.LoadChat(ctx, Settings{ChatServer: ms.URL, ChatServerKey: ms.Key, ChatServerModel: ms.Model, ContextSize: set.ContextSize}, nil)
	if err != nil {
		return nil, err
	}
	cm.Hold()
	return cm, nil
}

// indexedAt is when the libraries searched last changed.
func (e *Engine) indexedAt(f index.Filter) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last time.Time
	stats := func(sh *shelf, lib int64) {
		if st, err := sh.idx.Stats(ctx, lib); err == nil && st.LastIndexed.After(last) {
			last = st.LastIndexed
		}
	}
	if len(f.Libraries) == 0 {
		for _, sh := range e.open() {
			stats(sh, 0)
		}
	}
	for _, l := range f.Libraries {
		if sh, local, err := e.locate(l); err == nil {
			stats(sh, local)
		}
	}
	return last.UTC()
}

// Conversations lists saved conversations, most recent first.
func (e *Engine) Conversations() ([]ConversationSummary, error) { return e.chats.List() }

// Conversation loads a conversation with every answer's record.
func (e *Engine) Conversation(id string) (*Conversation, error) { return e.chats.Load(id) }

// RenameConversation gives a conversation a new title.
func (e *Engine) RenameConversation(id, title string) error { return e.chats.Rename(id, title) }

// DeleteConversation removes a conversation.
func (e *Engine) DeleteConversation(id string) error { return e.chats.Delete(id) }

// ExportConversation renders a conversation as Markdown, with the sources
// of each answer as footnotes.
func (e *Engine) ExportConversation(id string) (string, error) {
	c, err := e.chats.Load(id)
	if err != nil {
		return "", err
	}
	return c.Markdown(), nil
}

// SourceText is a cited source as the viewer shows it: the text of the
// page or section it was cut from, and the passage's exact place in it.
type SourceText struct {
	Text       string // the page's or section's text
	Start, End int    // the passage: Text[Start:End]
	// Exact is false when the document was indexed before places were
	// stored, or has been indexed again since the answer: Text is then
	// the passage alone, as cited.
	Exact bool
}

// SourceText returns the page or section a source was cut from, with the
// passage's place in it, from the positions stored when it was indexed
// (never found again by matching words, so the highlight is the same on
// every reopening).
func (e *Engine) SourceText(ctx context.Context, s Source) (SourceText, error) {
	sec, ok, err := e.placed(ctx, s)
	if err != nil || !ok {
		return SourceText{Text: s.Text, Start: 0, End: len(s.Text)}, err
	}
	return SourceText{Text: sec.Text, Start: s.Place.Start, End: s.Place.End, Exact: true}, nil
}

// placed returns the section a source points into, and whether the stored
// place still holds the source's text (the document may have been indexed
// again since the answer).
func (e *Engine) placed(ctx context.Context, s Source) (index.Section, bool, error) {
	p := s.Place
	if p.Section < 0 || p.Start < 0 || p.End < p.Start {
		return index.Section{}, false, nil
	}
	sh, local, err := e.locate(s.DocID)
	if errors.Is(err, index.ErrNotFound) {
		return index.Section{}, false, nil
	}
	if err != nil {
		return index.Section{}, false, err
	}
	sec, err := sh.idx.Section(ctx, local, p.Section)
	if errors.Is(err, index.ErrNotFound) {
		return sec, false, nil
	}
	if err != nil {
		return sec, false, fmt.Errorf("engine: reading the source: %w", err)
	}
	if p.End > len(sec.Text) || !sameWords(sec.Text[p.Start:p.End], s.Text) {
		return sec, false, nil
	}
	return sec, true, nil
}

// sameWords compares texts ignoring how white space falls (a passage joins
// its blocks with blank lines).
func sameWords(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return slices.Equal(fa, fb)
}

// turnsOf pairs a caller's messages into question-and-answer turns; system
// messages and an unanswered question are left out.
func turnsOf(msgs []ChatMessage) []rag.Turn {
	var out []rag.Turn
	for i := 0; i+1 < len(msgs); i++ {
		if msgs[i].Role == "user" && msgs[i+1].Role == "assistant" {
			out = append(out, rag.Turn{Question: msgs[i].Content, Answer: msgs[i+1].Content})
			i++
		}
	}
	return out
}
