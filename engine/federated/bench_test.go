package federated

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/carrel-ai/carrel/engine/index"
	"github.com/carrel-ai/carrel/engine/passage"
	"github.com/carrel-ai/carrel/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// benchWords is a small vocabulary, so that queries match many passages
// as real questions do.
var benchWords = strings.Fields(`river heron survey nest spring orchard apple bread starter flour water oven
	tower metres iron fair colosseum games shows spectators committee approved budget report method result
	sample measure error model train test data table figure section chapter letter house wood pond winter`)

// fill indexes n passages of 40 words with unit vectors of 384 dimensions
// (the bundled model's) into x, in documents of 100 passages.
func fill(b *testing.B, x *index.Index, n int, rng *rand.Rand) {
	b.Helper()
	ctx := context.Background()
	lib, err := x.Library(ctx, "Bench")
	if err != nil {
		b.Fatal(err)
	}
	for d := 0; d*100 < n; d++ {
		path := fmt.Sprintf("/bench/%d.txt", d)
		doc, _, err := x.Enqueue(ctx, lib.ID, path, 1, time.Unix(1, 0), nil)
		if err != nil {
			b.Fatal(err)
		}
		chunks := make([]index.Chunk, 0, 100)
		vecs := make([][]float32, 0, 100)
		for i := 0; i < 100 && d*100+i < n; i++ {
			words := make([]string, 40)
			for w := range words {
				words[w] = benchWords[rng.IntN(len(benchWords))]
			}
			chunks = append(chunks, index.Chunk{Text: strings.Join(words, " "), Page: 1, Place: passage.Place{Section: -1, CharFirst: passage.NoChars, CharLast: passage.NoChars}})
			vecs = append(vecs, randomUnit(rng))
		}
		if err := x.Replace(ctx, doc.ID, index.Meta{Hash: path, Format: "text"}, chunks, vecs, "m"); err != nil {
			b.Fatal(err)
		}
	}
}

func randomUnit(rng *rand.Rand) []float32 {
	v := make([]float32, 384)
	var s float64
	for i := range v {
		v[i] = float32(rng.NormFloat64())
		s += float64(v[i] * v[i])
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(s))
	}
	return v
}

// BenchmarkUnion compares a search of one store holding every passage
// with the same search of a federation of two stores holding half each: the
// cost of keeping a library on a server of its own, beside the laptop's
// (both stores are SQLite here, so what is measured is the federation's own
// work, not a network).
func BenchmarkUnion(b *testing.B) {
	const total = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	open := func() *index.Index {
		x, err := index.Open(context.Background(), b.TempDir(), "m")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { x.Close() })
		return x
	}
	one := open()
	fill(b, one, total, rng)
	left, right := open(), open()
	fill(b, left, total/2, rng)
	fill(b, right, total/2, rng)
	single, _ := New(one)
	pair, _ := New(left, right)
	q := randomUnit(rng)
	ctx := context.Background()
	searches(ctx, b, q, "one-store", single)
	searches(ctx, b, q, "two-stores", pair)
}

// searches times a federation's top 100 by vector and by words.
func searches(ctx context.Context, b *testing.B, q []float32, name string, u *Index) {
	b.Run("vector/"+name, func(b *testing.B) {
		for b.Loop() {
			if _, err := u.Vector(ctx, q, index.Filter{}, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lexical/"+name, func(b *testing.B) {
		for b.Loop() {
			if _, _, err := u.Lexical(ctx, "heron survey river nest", index.Filter{}, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUnionWithServer is BenchmarkUnion with a real server: the
// laptop's SQLite store beside a PostgreSQL store (a server the benchmark
// starts on this machine, reached over TCP), 10,000 passages each. The
// federation searches both at once, so its time should be near the slower
// store's, not the sum of both.
func BenchmarkUnionWithServer(b *testing.B) {
	const each = 10000
	rng := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	laptop, err := index.Open(ctx, b.TempDir(), "m")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { laptop.Close() })
	fill(b, laptop, each, rng)
	q := randomUnit(rng)
	for _, mode := range []string{"memory", "pgvector"} {
		url := pgtest.Database(b)
		if mode == "pgvector" {
			pgtest.NeedPgvector(b, url)
		}
		server, err := index.OpenServer(ctx, url+"&carrel_vectors="+mode, "m")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { server.Close() })
		fill(b, server, each, rng)
		// As a server that has run a while: statistics gathered (the
		// planner's choices change once autovacuum has analysed the new
		// rows), and pgvector's HNSW index made, as an opening makes it.
		if _, err := server.DB().ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
		if err := server.BuildVectorIndex(ctx); err != nil {
			b.Fatal(err)
		}
		alone, _ := New(laptop)
		remote, _ := New(nil, server) // the server as a federation's second store, as in the engine
		both, _ := New(laptop, server)
		searches(ctx, b, q, "laptop", alone)
		searches(ctx, b, q, "server-"+mode, remote)
		searches(ctx, b, q, "both-"+mode, both)
	}
}
