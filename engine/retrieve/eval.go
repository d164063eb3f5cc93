package retrieve

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BEIR is a retrieval benchmark in the BEIR layout: corpus.jsonl,
// queries.jsonl and qrels/test.tsv.
type BEIR struct {
	Corpus  []BEIRDoc
	Queries []BEIRQuery
	Qrels   map[string]map[string]int // query id → document id → relevance
}

// BEIRDoc is a corpus entry.
type BEIRDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// BEIRQuery is a query.
type BEIRQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// LoadBEIR reads a BEIR dataset folder; only queries with judgements in
// qrels/test.tsv are kept.
func LoadBEIR(dir string) (*BEIR, error) {
	b := &BEIR{Qrels: map[string]map[string]int{}}
	if err := readJSONL(filepath.Join(dir, "corpus.jsonl"), func(line []byte) error {
		var d BEIRDoc
		if err := json.Unmarshal(line, &d); err != nil {
			return err
		}
		b.Corpus = append(b.Corpus, d)
		return nil
	}); err != nil {
		return nil, err
	}
	qf, err := os.Open(filepath.Join(dir, "qrels", "test.tsv"))
	if err != nil {
		return nil, fmt.Errorf("retrieve: %w", err)
	}
	defer qf.Close()
	sc := bufio.NewScanner(qf)
	for first := true; sc.Scan(); first = false {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || (first && f[0] == "query-id") {
			continue
		}
		rel, err := strconv.Atoi(strings.TrimSpace(f[2]))
		if err != nil {
			return nil, fmt.Errorf("retrieve: qrels line %q: %w", sc.Text(), err)
		}
		if b.Qrels[f[0]] == nil {
			b.Qrels[f[0]] = map[string]int{}
		}
		b.Qrels[f[0]][f[1]] = rel
	}
	if err := readJSONL(filepath.Join(dir, "queries.jsonl"), func(line []byte) error {
		var q BEIRQuery
		if err := json.Unmarshal(line, &q); err != nil {
			return err
		}
		if b.Qrels[q.ID] != nil {
			b.Queries = append(b.Queries, q)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if len(b.Corpus) == 0 || len(b.Queries) == 0 {
		return nil, fmt.Errorf("retrieve: %s has no documents or no judged queries", dir)
	}
	return b, nil
}

func readJSONL(path string, each func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("retrieve: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := each(sc.Bytes()); err != nil {
			return fmt.Errorf("retrieve: %s line %d: %w", filepath.Base(path), n, err)
		}
	}
	return sc.Err()
}

// Metrics are the standard retrieval scores, averaged over queries.
type Metrics struct {
	Queries   int     `json:"queries"`
	NDCG10    float64 `json:"ndcg@10"`
	Recall10  float64 `json:"recall@10"`
	Recall100 float64 `json:"recall@100"`
	MRR10     float64 `json:"mrr@10"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	// AnswerableFound is the share of the queries with judgements that
	// the relevance floor let through (Result.Relevant).
	AnswerableFound float64 `json:"answerable_found"`
	// UnanswerableDeclined is the share of held-out queries, whose
	// documents were left out of the library, that the floor declined.
	Unanswerable         int     `json:"unanswerable,omitempty"`
	UnanswerableDeclined float64 `json:"unanswerable_declined,omitempty"`
}

// Evaluation accumulates per-query results.
type Evaluation struct {
	m                      Metrics
	times                  []time.Duration
	answerable, found      int
	unanswerable, declined int
}

// AddRelevance records whether the relevance floor judged a query
// answerable (Result.Relevant) and whether it was: the floor's honesty.
func (e *Evaluation) AddRelevance(relevant, answerable bool) {
	if answerable {
		e.answerable++
		if relevant {
			e.found++
		}
		return
	}
	e.unanswerable++
	if !relevant {
		e.declined++
	}
}

// Add scores one query's ranked document ids against its judgements.
func (e *Evaluation) Add(ranked []string, rel map[string]int, took time.Duration) {
	e.m.Queries++
	e.times = append(e.times, took)
	e.m.NDCG10 += NDCG(ranked, rel, 10)
	e.m.Recall10 += Recall(ranked, rel, 10)
	e.m.Recall100 += Recall(ranked, rel, 100)
	e.m.MRR10 += MRR(ranked, rel, 10)
}

// Metrics returns the averages and latency percentiles.
func (e *Evaluation) Metrics() Metrics {
	m := e.m
	if m.Queries == 0 {
		return m
	}
	n := float64(m.Queries)
	m.NDCG10, m.Recall10, m.Recall100, m.MRR10 = m.NDCG10/n, m.Recall10/n, m.Recall100/n, m.MRR10/n
	t := append([]time.Duration(nil), e.times...)
	sort.Slice(t, func(i, j int) bool { return t[i] < t[j] })
	m.P50ms = float64(t[len(t)/2].Microseconds()) / 1000
	m.P99ms = float64(t[min(len(t)-1, len(t)*99/100)].Microseconds()) / 1000
	if e.answerable > 0 {
		m.AnswerableFound = float64(e.found) / float64(e.answerable)
	}
	if e.unanswerable > 0 {
		m.Unanswerable = e.unanswerable
		m.UnanswerableDeclined = float64(e.declined) / float64(e.unanswerable)
	}
	return m
}

// NDCG is the normalised discounted cumulative gain at k, with graded
// relevance (gain = relevance) as BEIR's trec_eval computes it.
func NDCG(ranked []string, rel map[string]int, k int) float64 {
	var dcg float64
	for i, id := range ranked[:min(k, len(ranked))] {
		if g := rel[id]; g > 0 {
			dcg += float64(g) / math.Log2(float64(i+2))
		}
	}
	var ideal []int
	for _, g := range rel {
		if g > 0 {
			ideal = append(ideal, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ideal)))
	var idcg float64
	for i, g := range ideal[:min(k, len(ideal))] {
		idcg += float64(g) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// Recall is the share of relevant documents found in the first k.
func Recall(ranked []string, rel map[string]int, k int) float64 {
	total := 0
	for _, g := range rel {
		if g > 0 {
			total++
		}
	}
	if total == 0 {
		return 0
	}
	found := 0
	for _, id := range ranked[:min(k, len(ranked))] {
		if rel[id] > 0 {
			found++
		}
	}
	return float64(found) / float64(total)
}

// MRR is the reciprocal rank of the first relevant document within k.
func MRR(ranked []string, rel map[string]int, k int) float64 {
	for i, id := range ranked[:min(k, len(ranked))] {
		if rel[id] > 0 {
			return 1 / float64(i+1)
		}
	}
	return 0
}
