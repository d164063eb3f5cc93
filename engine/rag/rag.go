// Package rag answers questions from a person's documents: it retrieves
// passages, gives them to the model as numbered sources within the model's
// context budget, streams the answer while parsing its bracketed citations,
// checks each citation against its passage, and declines plainly when the
// documents do not hold the answer. It also keeps conversations.
//
// The package drives a language model and a library through the small
// interfaces Model and Library, so it builds and tests without cgo; the
// engine facade plugs in engine/llm and engine/index.
package rag

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/assets"
	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/engine/retrieve"
	"github.com/carrel-ai/carrel/engine/terms"
)

// Message is one turn as the model sees it.
type Message struct {
	Role    string // "system", "user" or "assistant"
	Content string
}

// GenOptions control one generation.
type GenOptions struct {
	MaxTokens   int
	Temperature float32 // 0 is greedy
	Seed        int64   // negative picks a random seed
}

// GenStats report one generation.
type GenStats struct {
	PromptTokens    int
	CachedTokens    int
	GeneratedTokens int
	FirstToken      time.Duration // from the call to the first token
	TokensPerSecond float64       // generation speed
	Stop            string        // why it ended
	// ReadAhead is how many of the prompt's cached tokens the model read
	// ahead (AheadReader) while the question was typed; AheadWasted how
	// many it read ahead that this prompt could not use.
	ReadAhead, AheadWasted int
}

// Model is the language model answers come from.
type Model interface {
	// Chat formats msgs with the model's chat template and streams the
	// reply to emit.
	Chat(ctx context.Context, msgs []Message, o GenOptions, emit func(string) error) (GenStats, error)
	// PromptTokens counts the tokens msgs take once formatted with the
	// chat template, ready for the reply.
	PromptTokens(msgs []Message) (int, error)
	// ContextSize is the context window in tokens.
	ContextSize() int
}

// Searcher finds the passages of a question (Retrieve).
type Searcher interface {
	Search(ctx context.Context, query string, o retrieve.Options) (retrieve.Result, error)
}

// Library holds the documents answers are written from (Respond).
type Library interface {
	// DocumentSections returns the texts of a document's pages or
	// sections, in order, as its passages were cut from them.
	DocumentSections(ctx context.Context, docID int64) ([]Section, error)
}

// Section is the text of one page or section of a document.
type Section struct {
	Ord     int // its place among the document's sections
	Page    int
	Heading string
	Text    string
}

// Config tunes answering; zero values pick the defaults.
type Config struct {
	// SystemPrompt instructs the model; "" means DefaultSystemPrompt.
	SystemPrompt string
	// Sources is how many passages are retrieved and offered; 0 means 6.
	Sources int
	// AnswerTokens is reserved in the context for the answer; 0 means 512
	// (at most a quarter of the context).
	AnswerTokens int
	Temperature  float32
	Seed         int64
	// Search sets filters and floors for retrieval (Search.K is Sources).
	Search retrieve.Options
	// WholePassages gives the model every passage whole instead of the
	// sentences that match the question (see selectEvidence).
	WholePassages bool
	// NoWholeDocument keeps to passages even when a whole document would
	// fit (see Answer).
	NoWholeDocument bool
}

// DefaultSystemPrompt is the instruction answers start from, kept in
// assets so it can be read and edited as a file.
var DefaultSystemPrompt = strings.TrimSpace(assets.SystemPrompt)

func (c Config) withDefaults() Config {
	if strings.TrimSpace(c.SystemPrompt) == "" {
		c.SystemPrompt = DefaultSystemPrompt
	}
	if c.Sources <= 0 {
		c.Sources = 6
	}
	if c.AnswerTokens <= 0 {
		c.AnswerTokens = 512
	}
	return c
}

// Outcome says what kind of answer was given.
type Outcome string

// Outcomes.
const (
	// Answered: the model answered from the sources, citing at least one
	// that supports what it says.
	Answered Outcome = "answered"
	// NotFound: nothing in the documents passed the relevance floor, so
	// the model was not asked; Related holds the closest passages.
	NotFound Outcome = "not_found"
	// Ungrounded: the person asked for the model's own knowledge.
	Ungrounded Outcome = "ungrounded"
	// RetrievalOnly: no model is set; Sources are the best passages.
	RetrievalOnly Outcome = "retrieval_only"
	// Uncited: the model answered from the sources it was given but cited
	// none of them in a way the support check accepts, so nothing ties its
	// words to the documents: not grounded, to be checked by the reader.
	Uncited Outcome = "uncited"
)

// Texts shown when the model is not asked.
const (
	NotFoundText      = "I could not find this in your documents."
	RetrievalOnlyText = "No language model is set, so Carrel cannot write an answer. These are the passages of your documents that best match the question."
)

// Source is a passage given to the model, numbered as the model saw it.
type Source struct {
	N       int     `json:"n"`
	Path    string  `json:"path"`
	Page    int     `json:"page,omitempty"`
	Heading string  `json:"heading,omitempty"`
	Text    string  `json:"text"`
	Score   float64 `json:"score"` // fused retrieval score
	Title   string  `json:"title,omitempty"`
	DocID   int64   `json:"doc_id"`
	ChunkID int64   `json:"chunk_id,omitempty"` // 0 for a whole section
	// Place is where Text stands in the document, as indexed: the viewer
	// highlights exactly this, also when the answer is reopened later.
	Place     passage.Place   `json:"place"`
	Scores    retrieve.Scores `json:"scores"`
	IndexedAt time.Time       `json:"indexed_at"`
	// Evidence, when set, is what the model read of Text: the sentences
	// that match the question, with their context (see selectEvidence).
	Evidence string `json:"evidence,omitempty"`
}

// ForModel is the text of the source the model reads.
func (s Source) ForModel() string {
	if s.Evidence != "" {
		return s.Evidence
	}
	return s.Text
}

// Locator names the source's place: "report.pdf, page 3, “Results”".
func (s Source) Locator() string {
	parts := []string{filepath.Base(s.Path)}
	if s.Page > 0 {
		parts = append(parts, fmt.Sprintf("page %d", s.Page))
	}
	if s.Heading != "" {
		parts = append(parts, "“"+s.Heading+"”")
	}
	return strings.Join(parts, ", ")
}

// Citation is a source the answer cited, with the result of the support
// check: the share of the citing sentences' content terms (stemmed, accents
// folded, CJK as character pairs) found in the passage. It is a cheap
// lexical test: it catches a citation pointing at an unrelated passage, not
// a subtle misreading of the right one.
type Citation struct {
	Source
	Support   float64 `json:"support"`   // best share over the sentences citing it
	Supported bool    `json:"supported"` // Support ≥ SupportFloor, or no sentence long enough to judge
	// Unsupported lists the sentences whose terms the passage lacks.
	Unsupported []string `json:"unsupported,omitempty"`
}

// Timings of one answer.
type Timings struct {
	RetrieveMS   float64 `json:"retrieve_ms"`
	PreviewMS    float64 `json:"preview_ms,omitempty"` // from the question to the preview
	FirstTokenMS float64 `json:"first_token_ms"`       // from the question to the first answer token
	TokensPerS   float64 `json:"tokens_per_s"`
	TotalMS      float64 `json:"total_ms"`
	PromptTokens int     `json:"prompt_tokens,omitempty"`
	CachedTokens int     `json:"cached_tokens,omitempty"` // of the prompt, reused from the KV cache
	// GeneratedTokens is the answer's length in tokens.
	GeneratedTokens int `json:"generated_tokens,omitempty"`
	// ReadAheadTokens are the prompt's tokens the model read while the
	// question was typed (of CachedTokens); AheadWastedTokens those it
	// read ahead for sources the final question did not keep.
	ReadAheadTokens   int `json:"read_ahead_tokens,omitempty"`
	AheadWastedTokens int `json:"ahead_wasted_tokens,omitempty"`
}

// ModelRecord names the model of an answer.
type ModelRecord struct {
	Name         string `json:"name"`
	Path         string `json:"path"`
	Quantization string `json:"quantization,omitempty"`
	Backend      string `json:"backend,omitempty"`
	ContextSize  int    `json:"context_size"`
	Adapter      string `json:"adapter,omitempty"`
	// Server is the model server the answer came from (scheme://host),
	// for a model on another machine; "" for a model on this computer.
	Server string `json:"server,omitempty"`
}

// Settings record what shaped an answer.
type Settings struct {
	Sources      int     `json:"sources"`
	AnswerTokens int     `json:"answer_tokens"`
	Temperature  float32 `json:"temperature"`
	Seed         int64   `json:"seed"`
	SystemPrompt string  `json:"system_prompt"`
	Mode         string  `json:"mode"` // retrieval mode
}

// Answer is an answer with everything it was based on, so it can be
// audited later.
type Answer struct {
	Question string    `json:"question"`
	Query    string    `json:"query"` // what was searched (a follow-up made standalone)
	Text     string    `json:"answer"`
	Outcome  Outcome   `json:"outcome"`
	Grounded bool      `json:"grounded"` // written from the documents' passages
	At       time.Time `json:"at"`
	// Sources are the passages given to the model, numbered.
	Sources   []Source   `json:"sources"`
	Citations []Citation `json:"citations"`
	// Related are the closest passages when nothing passed the floor.
	Related []Source `json:"related,omitempty"`
	// Preview is the sentence shown while the model read the sources.
	Preview *Preview `json:"preview,omitempty"`
	// WholeDocument is the document given whole instead of passages.
	WholeDocument string `json:"whole_document,omitempty"`
	// Carried is how many of Sources (the first ones) were given with an
	// earlier question of the conversation and kept for this one, so the
	// model did not read them again; Asked is the question's message as
	// the model read it, with its new sources.
	Carried int    `json:"carried_sources,omitempty"`
	Asked   string `json:"asked,omitempty"`
	// Left out: sources that did not fit the context, earlier turns
	// dropped for room, and citations of numbers that were never given.
	DroppedSources   int   `json:"dropped_sources,omitempty"`
	DroppedTurns     int   `json:"dropped_turns,omitempty"`
	InvalidCitations []int `json:"invalid_citations,omitempty"`
	// Library and IndexedAt say which library answered and how fresh its
	// index was ("index fresh as of …").
	Library   string      `json:"library,omitempty"`
	IndexedAt time.Time   `json:"index_fresh_as_of"`
	Model     ModelRecord `json:"model"`
	Settings  Settings    `json:"settings"`
	Timings   Timings     `json:"timings"`
	Stop      string      `json:"stop,omitempty"` // why generation ended
	// Conversation is the conversation the answer belongs to.
	Conversation string `json:"conversation,omitempty"`
}

// Question is what the person asks.
type Question struct {
	Text string
	// History is the conversation so far, oldest first.
	History []Turn
	// Ungrounded asks the model to answer from its own knowledge; the
	// answer is marked as not grounded in the documents.
	Ungrounded bool
	// Asked is when the person asked: the answer's times count from it.
	// Zero means from the start of its retrieval.
	Asked time.Time
}

// Turn is an earlier exchange of a conversation.
type Turn struct {
	Question, Answer string
	// Asked is the question's message as the model read it, sources
	// included, and Sources the sources numbered in it (Carried of them
	// from the turn before); "" and nil when unknown, and then a follow-up
	// cannot keep them (see carryStart).
	Asked   string
	Sources []Source
	Carried int
}

// Delta is a piece of a streamed answer.
type Delta struct {
	// Sources is sent once, before the answer, with the passages given to
	// the model (or the related passages when nothing was found).
	Sources []Source
	// Text is the next piece of the answer; citations in it are
	// normalised to "[n]".
	Text string
	// Cites are the source numbers cited in Text.
	Cites []int
	// Preview comes with Sources when the model is about to read them: the
	// best source's sentence that matches the question best, to show at
	// once.
	Preview *Preview
	// Kept is how many of Sources (the first) the model read for an
	// earlier question of the conversation and does not read again.
	Kept int
}

// Retrieval is the search an answer is based on.
type Retrieval struct {
	Query  string
	Result retrieve.Result
	Took   time.Duration
	// IndexedAt is when the libraries searched last changed, when the
	// searcher knows; else the answer's freshness is its newest passage's.
	IndexedAt time.Time
}

// Retrieve searches lib for query.
func Retrieve(ctx context.Context, lib Searcher, query string, cfg Config) (Retrieval, error) {
	cfg = cfg.withDefaults()
	o := cfg.Search
	o.K = cfg.Sources
	start := time.Now()
	res, err := lib.Search(ctx, query, o)
	if err != nil {
		return Retrieval{}, fmt.Errorf("rag: searching: %w", err)
	}
	return Retrieval{Query: query, Result: res, Took: time.Since(start)}, nil
}

// ErrQuestionTooLong means the question alone does not fit the context.
var ErrQuestionTooLong = errors.New("rag: the question is too long for the model's context window")

// Respond answers q from the retrieved passages with model m, streaming to
// emit. When nothing passed the relevance floor it does not ask the model
// and says so, with the closest passages as Related (unless q.Ungrounded).
// When m is nil it returns the passages alone (RetrievalOnly). When the
// question is about one document that fits in half the context, the model
// gets that whole document, section by section, instead of fragments.
//
// A cancelled ctx returns the answer so far with ctx.Err().
func Respond(ctx context.Context, m Model, lib Library, q Question, r Retrieval, cfg Config, emit func(Delta) error) (*Answer, error) {
	cfg = cfg.withDefaults()
	start := time.Now()
	origin := q.Asked // the times an answer reports count from here
	if origin.IsZero() {
		origin = start.Add(-r.Took)
	}
	a := &Answer{
		Question: q.Text, Query: r.Query, At: start.UTC(), IndexedAt: r.IndexedAt,
		Settings: Settings{Sources: cfg.Sources, AnswerTokens: cfg.AnswerTokens, Temperature: cfg.Temperature,
			Seed: cfg.Seed, SystemPrompt: cfg.SystemPrompt, Mode: string(r.Result.Mode)},
		Timings: Timings{RetrieveMS: ms(r.Took)},
	}
	for _, h := range r.Result.Hits {
		if r.IndexedAt.IsZero() && h.IndexedAt.After(a.IndexedAt) {
			a.IndexedAt = h.IndexedAt
		}
	}
	if emit == nil {
		emit = func(Delta) error { return nil }
	}
	say := func(text string, src []Source) error {
		a.Text = text
		if err := emit(Delta{Sources: src}); err != nil {
			return err
		}
		return emit(Delta{Text: text})
	}
	hits := r.Result.Hits
	switch {
	case q.Ungrounded:
		if m == nil {
			return a, errors.New("rag: no model is set to answer from its own knowledge")
		}
		a.Outcome = Ungrounded
		return a, generate(ctx, m, a, cfg, ungroundedMessages(q), 0, emit, origin)
	case !r.Result.Relevant || len(hits) == 0:
		a.Outcome = NotFound
		a.Related = sources(hits[:min(3, len(hits))])
		a.Timings.TotalMS = ms(time.Since(origin))
		return a, say(NotFoundText, a.Related)
	case m == nil:
		a.Outcome = RetrievalOnly
		a.Sources = sources(hits)
		a.Timings.TotalMS = ms(time.Since(origin))
		return a, say(RetrievalOnlyText, a.Sources)
	}

	a.Outcome, a.Grounded = Answered, true
	want := questionTerms(q, r) // found once for every stage that compares
	budget, src, dropped, err := carrySources(ctx, m, lib, cfg, q, want, hits)
	if err != nil {
		return a, err
	}
	if budget != nil {
		a.DroppedTurns, a.DroppedSources = len(q.History)-len(budget.chain), dropped
	} else { // the earlier sources are not kept: the usual layout
		if budget, src, a.WholeDocument, err = freshLayout(ctx, m, lib, cfg, q, want, hits); err != nil {
			return a, err
		}
		a.DroppedTurns = len(q.History) - len(budget.history)
		if a.WholeDocument == "" {
			a.DroppedSources = len(hits) - len(src)
		}
	}
	a.Sources, a.Carried = src, len(budget.carried)
	a.Preview = preview(want, bestFirst(src, hits))
	a.Timings.PreviewMS = a.Timings.RetrieveMS + ms(time.Since(start))
	if err := emit(Delta{Sources: src, Preview: a.Preview, Kept: a.Carried}); err != nil {
		return a, err
	}
	msgs := budget.messages(src[a.Carried:])
	a.Asked = msgs[len(msgs)-1].Content
	err = generate(ctx, m, a, cfg, msgs, len(src), emit, origin)
	if !slices.ContainsFunc(a.Citations, func(c Citation) bool { return c.Supported }) {
		a.Outcome, a.Grounded = Uncited, false
	}
	return a, err
}

// freshLayout is the usual layout of a prompt: the conversation's earlier
// questions without their sources, then the sources chosen for this one
// (or the whole document it is about) and the question. Reading ahead
// (AheadOf) lays out the same prompt.
func freshLayout(ctx context.Context, m Model, lib Library, cfg Config, q Question, want map[string]bool, hits []retrieve.Hit) (*budget, []Source, string, error) {
	b, err := newBudget(m, cfg, q)
	if err != nil {
		return nil, nil, "", err
	}
	src, whole, err := chooseSources(ctx, lib, b, want, hits, cfg.NoWholeDocument, cfg.WholePassages)
	return b, src, whole, err
}

// generate streams the model's answer through the citation parser and
// fills in the answer's text, citations and timings, counted from origin.
func generate(ctx context.Context, m Model, a *Answer, cfg Config, msgs []Message, nsrc int, emit func(Delta) error, origin time.Time) error {
	c := newCiter(nsrc)
	var text strings.Builder
	var first time.Duration
	send := func(s string, cites []int) error {
		if s == "" && len(cites) == 0 {
			return nil
		}
		if first == 0 {
			first = time.Since(origin)
		}
		text.WriteString(s)
		return emit(Delta{Text: s, Cites: cites})
	}
	asking := time.Since(origin)
	st, err := m.Chat(ctx, msgs, GenOptions{MaxTokens: min(cfg.AnswerTokens, max(m.ContextSize()/4, 16)), Temperature: cfg.Temperature, Seed: cfg.Seed},
		func(s string) error { return send(c.push(s)) })
	if rest := c.flush(); rest != "" {
		if e := send(rest, nil); e != nil && err == nil {
			err = e
		}
	}
	a.Text = strings.TrimSpace(text.String())
	a.InvalidCitations = c.dropped
	a.Citations = checkCitations(a.Text, a.Sources, c.cited)
	a.Stop = st.Stop
	a.Timings.FirstTokenMS = ms(first)
	if first == 0 { // nothing shown: the model's own first token
		a.Timings.FirstTokenMS = ms(asking + st.FirstToken)
	}
	a.Timings.TokensPerS = st.TokensPerSecond
	a.Timings.PromptTokens, a.Timings.CachedTokens, a.Timings.GeneratedTokens = st.PromptTokens, st.CachedTokens, st.GeneratedTokens
	a.Timings.ReadAheadTokens, a.Timings.AheadWastedTokens = st.ReadAhead, st.AheadWasted
	a.Timings.TotalMS = ms(time.Since(origin))
	if err != nil {
		return fmt.Errorf("rag: generating: %w", err)
	}
	return nil
}

// checkCitations maps the cited numbers to their sources and runs the
// support check on every sentence that cites them.
func checkCitations(answer string, src []Source, cited []int) []Citation {
	out := make([]Citation, 0, len(cited))
	pos := map[int]int{}
	for _, n := range cited {
		pos[n] = len(out)
		out = append(out, Citation{Source: src[n-1], Supported: true, Support: -1})
	}
	judged := make([]bool, len(out))
	for _, cl := range claims(answer) {
		for _, n := range cl.cites {
			i, ok := pos[n]
			if !ok {
				continue
			}
			s, ok := support(cl.text, out[i].Text)
			if !ok {
				continue
			}
			judged[i] = true
			out[i].Support = max(out[i].Support, s)
			if s < SupportFloor {
				out[i].Unsupported = append(out[i].Unsupported, cl.text)
			}
		}
	}
	for i := range out {
		if !judged[i] {
			out[i].Support = 1
			continue
		}
		out[i].Supported = out[i].Support >= SupportFloor
	}
	return out
}

func sources(hits []retrieve.Hit) []Source {
	out := make([]Source, len(hits))
	for i, h := range hits {
		out[i] = sourceOf(i+1, h)
	}
	return out
}

func sourceOf(n int, h retrieve.Hit) Source {
	return Source{N: n, DocID: h.DocID, ChunkID: h.ChunkID, Path: h.Path, Title: h.Title, Page: h.Page,
		Heading: h.Heading, Text: h.Text, Place: h.Place, Score: h.Scores.Fused, Scores: h.Scores, IndexedAt: h.IndexedAt}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// questionTerms are the question's terms as a set: those retrieval found
// when it searched the question as asked, or, for a follow-up searched as
// its rewrite, the question's own.
func questionTerms(q Question, r Retrieval) map[string]bool {
	if r.Query != q.Text || r.Result.Terms == nil {
		return termSet(q.Text)
	}
	out := make(map[string]bool, len(r.Result.Terms))
	for _, t := range r.Result.Terms {
		out[t] = true
	}
	return out
}

// termSet is terms.Of as a set.
func termSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, t := range terms.Of(s) {
		out[t] = true
	}
	return out
}
