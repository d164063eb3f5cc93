package engine

import (
	"context"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/carrel-ai/carrel/engine/inference"
	"github.com/carrel-ai/carrel/engine/rag"
)

// Reading ahead while a question is typed. The window and `carrel chat`
// tell the engine what the question box holds (Typing) as it changes; one
// goroutine searches the library for the words typed so far and lets the
// chat model read the beginning of the prompt the question would get (the
// instructions, the likely sources, the words so far) into its KV cache.
// When the question is asked, Ask lays out its prompt exactly as it would
// have anyway and reuses whatever of the read-ahead still matches: the
// answer is the same, and the model reads after Enter only the sources
// that changed and the rest of the question (Timings.ReadAheadTokens,
// AheadWastedTokens).
//
// The reader works in small steps and checks between them whether the
// question changed, an answer started (it never reads while one is
// written: Ask and Chat stop it within one step) or the engine closed.
// It does no work while nothing is typed, and none on a machine saving
// power, where the platform says so.

const (
	// aheadStep is about how long the model reads ahead at a time: an
	// answer waits for at most one step, and a changed question is
	// noticed after one. The tokens a step reads follow the model's
	// measured speed, between aheadMin and aheadMax.
	aheadStep          = 150 * time.Millisecond
	aheadMin, aheadMax = 8, 128
	// aheadPause is how long typing must pause for the word being typed
	// to count as written: until then the search uses the words before it.
	aheadPause = 400 * time.Millisecond
)

// ahead is the state of reading ahead; the reader goroutine owns cur.
type ahead struct {
	mu       sync.Mutex
	text     string     // what the question box holds
	opts     AskOptions // how it will be asked
	at       time.Time  // when it last changed
	seq      uint64     // counts changes
	answers  int        // answers and chats being written: no reading
	started  bool       // the reader goroutine runs
	busy     bool       // the reader is working (tests wait for idle)
	wake     chan struct{}
	idleCond *sync.Cond
	wg       sync.WaitGroup // the reader; Close waits for it
}

// aheadTarget is what the reader is reading: the prompt of a search.
type aheadTarget struct {
	query string // what was searched
	opts  AskOptions
	msgs  []rag.Message // the prompt's beginning; nil when there is nothing to read
	done  bool          // all of msgs is read
	// adapter is the library's own adapter (Settings.LibraryAdapters),
	// "" for the model's.
	adapter string
}

// Typing tells the engine that the question box now holds text, which will
// be asked with o: it may search for it and let the chat model read ahead
// (see above). It returns at once; call it as the text changes (every
// keystroke is fine: the engine decides when to act) and ask with Ask as
// usual. Text that is only spaces, or the question box emptied, stops
// reading ahead. A follow-up in a saved conversation is not read ahead.
func (e *Engine) Typing(text string, o AskOptions) {
	a := &e.ahead
	a.mu.Lock()
	defer a.mu.Unlock()
	if text == a.text && sameAsk(o, a.opts) {
		return
	}
	a.text, a.opts, a.at = text, o, time.Now()
	a.seq++
	a.busy = true
	if e.bg.Err() != nil {
		return // closed
	}
	if !a.started {
		a.started = true
		a.wg.Add(1)
		a.wake = make(chan struct{}, 1)
		a.idleCond = sync.NewCond(&a.mu)
		go e.readAhead()
	}
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// sameAsk reports whether two questions would be asked alike.
func sameAsk(a, b AskOptions) bool {
	return a.Library == b.Library && a.Conversation == b.Conversation && a.Folder == b.Folder &&
		a.Ungrounded == b.Ungrounded && strings.Join(a.Formats, "\x00") == strings.Join(b.Formats, "\x00") &&
		strings.Join(a.Documents, "\x00") == strings.Join(b.Documents, "\x00") && len(a.History) == 0 && len(b.History) == 0
}

// stopped waits for the reader after the engine's context has ended: a
// Typing after this lock sees it ended and starts none.
func (a *ahead) stopped() {
	a.mu.Lock()
	a.mu.Unlock() //nolint:staticcheck // an empty section: Typing has checked or will see the end
	a.wg.Wait()
}

// answering marks an answer (or chat) being written until the returned
// function is called: the reader stops at its next step and what was
// typed before is not read again.
func (e *Engine) answering() func() {
	a := &e.ahead
	a.mu.Lock()
	a.answers++
	a.text = ""
	a.seq++
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.answers--
		if a.started { // what was typed meanwhile may be read now
			select {
			case a.wake <- struct{}{}:
			default:
			}
		}
	}
}

// aheadState is a reader's view of what to do next.
type aheadState struct {
	text   string
	opts   AskOptions
	seq    uint64
	paused bool // an answer is being written
	quiet  time.Duration
}

func (a *ahead) state() aheadState {
	a.mu.Lock()
	defer a.mu.Unlock()
	return aheadState{text: a.text, opts: a.opts, seq: a.seq, paused: a.answers > 0, quiet: time.Since(a.at)}
}

// query is what a reader searches for: the words typed so far, with the
// last one once it is followed by a space or ends the question (?, ., !)
// or typing has paused on it.
func (s aheadState) query() string {
	text := strings.TrimSpace(s.text)
	if s.quiet >= aheadPause || strings.TrimRightFunc(s.text, unicode.IsSpace) != s.text || strings.HasSuffix(text, "?") ||
		strings.HasSuffix(text, ".") || strings.HasSuffix(text, "!") {
		return text // its last word is written
	}
	if i := strings.LastIndexFunc(text, unicode.IsSpace); i >= 0 {
		return strings.TrimSpace(text[:i])
	}
	return ""
}

// idle records that the reader has done all there is to do for change
// seq, for tests waiting for it.
func (a *ahead) idle(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seq == seq {
		a.busy = false
		a.idleCond.Broadcast()
	}
}

// readAhead is the reader goroutine: it runs until the engine closes.
func (e *Engine) readAhead() {
	a := &e.ahead
	defer a.wg.Done()
	var cur aheadTarget
	step := 32 // tokens per step, fitted to the model's speed as it reads
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		st := a.state()
		q := st.query()
		if st.paused {
			// An answer changes what the model holds: what was read for
			// the words before it is not there any more.
			cur = aheadTarget{}
		}
		work := !st.paused && q != "" && len(st.opts.History) == 0 && !powerSaving()
		if work && (q != cur.query || !sameAsk(st.opts, cur.opts)) {
			cur = e.aheadTarget(q, st.opts)
		}
		if work && cur.msgs != nil && !cur.done {
			start := time.Now()
			var read int
			read, cur.done = e.readStep(cur, step)
			if took := time.Since(start); read >= aheadMin && took > 0 {
				perStep := float64(read) * float64(aheadStep) / float64(took)
				step = min(max(int(perStep), aheadMin), aheadMax)
			}
			continue
		}
		// Wait for the next change; a pause in the middle of a word makes
		// the word count.
		wait := time.Hour
		if !st.paused && st.quiet < aheadPause && strings.TrimSpace(st.text) != q {
			wait = aheadPause - st.quiet
		} else {
			a.idle(st.seq)
		}
		timer.Reset(wait)
		select {
		case <-e.bg.Done():
			return
		case <-a.wake:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// aheadTarget searches for q, the complete words typed so far, and lays
// out the beginning of the prompt a question starting with them would
// get; a target with no messages when there is nothing to read (no model
// on this computer, nothing relevant).
func (e *Engine) aheadTarget(q string, o AskOptions) aheadTarget {
	t := aheadTarget{query: q, opts: o}
	if o.Conversation != "" {
		return t // a follow-up is searched as the model rewrites it
	}
	ctx := e.bg
	p, err := e.askingFor(ctx, o)
	if err != nil {
		return t
	}
	if _, remote := p.set.LibraryChatServers[p.lib]; remote && p.lib != "" {
		return t
	}
	cm, err := e.model.Acquire(ctx)
	if err != nil || cm == nil {
		return t
	}
	defer cm.Release()
	if path, ok := p.set.LibraryAdapters[p.lib]; ok && p.lib != "" {
		t.adapter = path
	}
	model, ok := aheadModel(ctx, cm, t.adapter)
	if !ok {
		return t
	}
	r, err := e.search(ctx, q, p.cfg)
	if err != nil {
		return t
	}
	msgs, ok, err := rag.AheadOf(ctx, model, sections{e.all}, rag.Question{Text: q}, r, p.cfg)
	if err != nil || !ok {
		return t
	}
	t.msgs = msgs
	return t
}

// readStep lets the model read up to n tokens of t; it reports how many
// it read and whether all of t is read (or cannot be).
func (e *Engine) readStep(t aheadTarget, n int) (int, bool) {
	ctx := e.bg
	cm, err := e.model.Acquire(ctx)
	if err != nil || cm == nil {
		return 0, true
	}
	defer cm.Release()
	ar, ok := aheadModel(ctx, cm, t.adapter)
	if !ok {
		return 0, true
	}
	read, done, err := ar.ReadAhead(ctx, t.msgs, n)
	return read, done || err != nil
}

// aheadModel is the chat model as a question with adapter (a library's
// own, "" for none) sees it, when it can read ahead.
func aheadModel(ctx context.Context, cm *inference.Chat, adapter string) (rag.AheadReader, bool) {
	if adapter == "" {
		return cm.AheadReader()
	}
	m, _, err := cm.WithAdapter(ctx, adapter)
	if err != nil {
		return nil, false
	}
	ar, ok := m.(rag.AheadReader)
	return ar, ok
}

// powerSaving reports whether the platform asks programs to save power
// (Linux's platform profile "low-power"); elsewhere it cannot tell.
func powerSaving() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	b, err := os.ReadFile("/sys/firmware/acpi/platform_profile")
	return err == nil && strings.TrimSpace(string(b)) == "low-power"
}

// waitAhead waits until the reader has nothing left to do (tests).
func (e *Engine) waitAhead(ctx context.Context) error {
	a := &e.ahead
	stop := context.AfterFunc(ctx, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.idleCond != nil {
			a.idleCond.Broadcast()
		}
	})
	defer stop()
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.started && a.busy && ctx.Err() == nil {
		a.idleCond.Wait()
	}
	return ctx.Err()
}
