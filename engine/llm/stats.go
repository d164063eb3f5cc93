package llm

import "math"

// meanStd returns the mean and sample standard deviation of xs.
func meanStd(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// Perplexity is how well a model predicts a text: the exponential of the
// mean negative log-likelihood of its tokens, lower being better.
type Perplexity struct {
	Value  float64
	Tokens int // the tokens scored
	Window int // the tokens each window read
}
