package lab

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/carrel-ai/carrel/engine"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/retrieve"
)

// The synthetic libraries of the benchmarks: words drawn with a Zipf-like
// skew, as real text has, written through the store's real path, so that
// adding, reopening and searching can be timed at any size.

// SyntheticLibrary is the library the synthetic passages are put in.
const SyntheticLibrary = "bench"

// syntheticModel names the random vectors of a synthetic library.
const syntheticModel = "synthetic"

// synthetic draws the words and vectors of a synthetic library; the same
// seed gives the same library and queries.
type synthetic struct {
	rng   *rand.Rand
	words []string
}

func newSynthetic() *synthetic {
	rng := rand.New(rand.NewPCG(7, 11))
	const letters = "abcdefghijklmnopqrstuvwxyz"
	words := make([]string, 20000)
	for i := range words {
		b := make([]byte, 3+rng.IntN(7))
		for j := range b {
			b[j] = letters[rng.IntN(len(letters))]
		}
		words[i] = string(b)
	}
	return &synthetic{rng: rng, words: words}
}

func (s *synthetic) text(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		r := s.rng.Float64()
		b.WriteString(s.words[int(float64(len(s.words))*r*r*r)])
	}
	return b.String()
}

func (s *synthetic) unit(dims int) []float32 {
	v := make([]float32, dims)
	var sum float64
	for i := range v {
		v[i] = float32(s.rng.NormFloat64())
		sum += float64(v[i] * v[i])
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// openSynthetic opens the store of a synthetic library: the data
// folder's, or the PostgreSQL server server names when it is not "".
func openSynthetic(ctx context.Context, dataDir, server, model string) (*index.Index, error) {
	if server != "" {
		return index.OpenServer(ctx, server, model)
	}
	return index.Open(ctx, filepath.Join(dataDir, "library"), model)
}

// BuildSyntheticLibrary fills the data folder's store (or, when server is
// not "", the library store on that PostgreSQL server) with n synthetic
// passages, 20 to a document, in the library SyntheticLibrary; with dims >
// 0 each passage gets a random unit vector. A store that already holds
// exactly n passages is kept (took is 0); one holding others is refused.
func BuildSyntheticLibrary(ctx context.Context, dataDir, server string, n, dims int) (took time.Duration, err error) {
	// Built as the app indexes: with the model's vectors in use, so that a
	// library folder writes its vector files as it grows.
	model := ""
	if dims > 0 {
		model = syntheticModel
	}
	idx, err := openSynthetic(ctx, dataDir, server, model)
	if err != nil {
		return 0, err
	}
	defer idx.Close()
	where := dataDir
	if server != "" {
		where = index.Redact(server)
	}
	if kept, err := keepOrRefuse(ctx, idx, n, where); err != nil || kept {
		return 0, err
	}
	start := time.Now()
	lib, err := idx.Library(ctx, SyntheticLibrary)
	if err != nil {
		return 0, err
	}
	syn := newSynthetic()
	const perDoc = 20
	docs := (n + perDoc - 1) / perDoc
	for d := 0; d < docs; d++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		doc, _, err := idx.Enqueue(ctx, lib.ID, fmt.Sprintf("/bench/doc-%06d.txt", d), 1000, time.Unix(int64(d), 0), nil)
		if err != nil {
			return 0, err
		}
		k := min(perDoc, n-d*perDoc)
		chunks := make([]index.Chunk, k)
		var vecs [][]float32
		if dims > 0 {
			vecs = make([][]float32, k)
		}
		for i := range chunks {
			chunks[i] = index.Chunk{Text: syn.text(60), Page: i + 1}
			if dims > 0 {
				vecs[i] = syn.unit(dims)
			}
		}
		if err := idx.Replace(ctx, doc.ID, index.Meta{Hash: fmt.Sprint(d), Format: "text"}, chunks, vecs, model); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// keepOrRefuse reports whether idx already holds exactly n passages (a
// library built by an earlier run, kept), and refuses a store holding
// others (where names it).
func keepOrRefuse(ctx context.Context, idx *index.Index, n int, where string) (bool, error) {
	st, err := idx.Stats(ctx, 0)
	if err != nil {
		return false, err
	}
	if st.Chunks > 0 && st.Chunks != n {
		return false, fmt.Errorf("lab: %s holds another library (%d passages): use another folder or database", where, st.Chunks)
	}
	return st.Chunks == n, nil
}

// QueryTimes are the figures of BenchSyntheticQueries.
type QueryTimes struct {
	Chunks       int     `json:"chunks"`
	Dims         int     `json:"dims"`
	ReopenMS     float64 `json:"reopen_ms"`
	Lost         int     `json:"lost"` // passages without their vector after reopening
	HybridP50MS  float64 `json:"query_p50_ms"`
	HybridP99MS  float64 `json:"query_p99_ms"`
	VectorP50MS  float64 `json:"vector_p50_ms"`
	VectorP99MS  float64 `json:"vector_p99_ms"`
	LexicalP50MS float64 `json:"lexical_p50_ms"`
	LexicalP99MS float64 `json:"lexical_p99_ms"`
	// The index's own lexical ranking (no query analysis around it)
	// against FTS5 scoring every match, on the same queries, alternated;
	// LexicalDiffer counts the queries whose scores differ (0 expected).
	IndexLexicalP50MS float64 `json:"index_lexical_p50_ms"`
	IndexLexicalP99MS float64 `json:"index_lexical_p99_ms"`
	FTS5LexicalP50MS  float64 `json:"fts5_lexical_p50_ms"`
	FTS5LexicalP99MS  float64 `json:"fts5_lexical_p99_ms"`
	LexicalDiffer     int     `json:"lexical_differ"`
	RSSMB             float64 `json:"rss_mb"` // resident memory the reopened library added
	RawVectorMB       float64 `json:"raw_vector_mb"`
	// VectorSearch is where similarity search ran: "memory" (in this
	// process: in a library folder, over its mapped vector file) or
	// "pgvector" (on a PostgreSQL server); with pgvector, IndexBuildS is
	// the time its HNSW index took to build at reopening (0 when it
	// existed). Recall is the share of the exact 10 nearest passages
	// similarity search found (random vectors: the worst case for a
	// vector file's one-bit scan).
	VectorSearch string  `json:"vector_search"`
	IndexBuildS  float64 `json:"index_build_s,omitempty"`
	Recall       float64 `json:"recall_at_10"`
}

// BenchSyntheticQueries reopens a library built by BuildSyntheticLibrary
// and times searches of each kind with synthetic queries. Run it in a
// fresh process for a fair memory figure.
func BenchSyntheticQueries(ctx context.Context, dataDir, server string, n, dims, queries int) (*QueryTimes, error) {
	base := residentMB()
	t0 := time.Now()
	idx, err := openSynthetic(ctx, dataDir, server, syntheticModel)
	if err != nil {
		return nil, err
	}
	defer idx.Close()
	reopen := time.Since(t0)
	t1 := time.Now()
	if err := idx.WaitVectorIndex(ctx); err != nil {
		return nil, err
	}
	build := time.Since(t1)
	st, err := idx.Stats(ctx, 0)
	if err != nil {
		return nil, err
	}
	syn := newSynthetic()
	r := retrieve.New(idx, queryVectors{syn, dims})
	timed := func(mode retrieve.Mode) (p50, p99 float64, err error) {
		var ts []float64
		for q := 0; q < queries; q++ {
			query := syn.text(6)
			t := time.Now()
			if _, err := r.Search(ctx, query, retrieve.Options{K: 10, Mode: mode}); err != nil {
				return 0, 0, err
			}
			ts = append(ts, ms(time.Since(t)))
		}
		sort.Float64s(ts)
		return ts[len(ts)/2], ts[min(len(ts)-1, len(ts)*99/100)], nil
	}
	out := &QueryTimes{Chunks: n, Dims: dims, ReopenMS: ms(reopen), Lost: n - st.Vectors, VectorSearch: idx.VectorSearch()}
	if out.VectorSearch != "memory" {
		out.IndexBuildS = build.Seconds()
	}
	var qs [][]float32
	// (50 drawn first: the queries timed below are the same texts as in
	// every earlier run of this benchmark.)
	for range 50 {
		qs = append(qs, syn.unit(dims))
	}
	if out.Recall, err = idx.VectorRecall(ctx, qs, 10); err != nil {
		return nil, err
	}
	if out.HybridP50MS, out.HybridP99MS, err = timed(retrieve.Hybrid); err != nil {
		return nil, err
	}
	if out.VectorP50MS, out.VectorP99MS, err = timed(retrieve.Vector); err != nil {
		return nil, err
	}
	if out.LexicalP50MS, out.LexicalP99MS, err = timed(retrieve.Lexical); err != nil {
		return nil, err
	}
	// (Memory before FTS5 is searched: the app does not search it.)
	out.RSSMB = residentMB() - base
	var own, fts []float64
	for q := 0; q < queries; q++ {
		query := syn.text(6)
		t := time.Now()
		a, _, err := idx.Lexical(ctx, query, index.Filter{}, 100)
		if err != nil {
			return nil, err
		}
		own = append(own, ms(time.Since(t)))
		t = time.Now()
		b, _, err := idx.LexicalFTS5(ctx, query, index.Filter{}, 100)
		if err != nil {
			return nil, err
		}
		fts = append(fts, ms(time.Since(t)))
		if !sameScores(a, b) {
			out.LexicalDiffer++
		}
	}
	out.IndexLexicalP50MS, out.IndexLexicalP99MS = percentiles(own)
	out.FTS5LexicalP50MS, out.FTS5LexicalP99MS = percentiles(fts)
	out.RawVectorMB = float64(n) * float64(dims) * 4 / (1 << 20)
	return out, nil
}

// percentiles are the p50 and p99 of ts.
func percentiles(ts []float64) (p50, p99 float64) {
	if len(ts) == 0 {
		return 0, 0
	}
	sort.Float64s(ts)
	return ts[len(ts)/2], ts[min(len(ts)-1, len(ts)*99/100)]
}

// sameScores reports two rankings with the same scores at every rank.
func sameScores(a, b []index.Hit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Score != b[i].Score {
			return false
		}
	}
	return true
}

// queryVectors gives queries random unit vectors of the library's size.
type queryVectors struct {
	syn  *synthetic
	dims int
}

func (q queryVectors) Model() string { return syntheticModel }

func (q queryVectors) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range texts {
		out[i] = q.syn.unit(q.dims)
	}
	return out, nil
}

// residentMB is the process's resident memory, from /proc on Linux;
// elsewhere the Go heap in use.
func residentMB() float64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%f", &kb)
				return kb / 1024
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// SyntheticQuestion is a question of eight consecutive words from a random
// passage of the library, so that it is found.
func SyntheticQuestion(ctx context.Context, e *engine.Engine, rng *rand.Rand) (string, error) {
	ds, err := e.Documents(ctx, SyntheticLibrary)
	if err != nil {
		return "", err
	}
	if len(ds) == 0 {
		return "", fmt.Errorf("lab: the synthetic library is empty")
	}
	ps, err := e.Passages(ctx, ds[rng.IntN(len(ds))].ID)
	if err != nil || len(ps) == 0 {
		return "", fmt.Errorf("lab: reading a synthetic passage: %v", err)
	}
	words := strings.Fields(ps[rng.IntN(len(ps))].Text)
	if len(words) < 9 {
		return strings.Join(words, " "), nil
	}
	from := rng.IntN(len(words) - 8)
	return strings.Join(words[from:from+8], " "), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
