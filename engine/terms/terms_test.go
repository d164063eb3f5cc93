package terms

import (
	"reflect"
	"testing"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"The running dogs", []string{"run", "dog"}},
		{"Café naïve ÉLAN", []string{"cafe", "naiv", "elan"}},
		{"東京都に住む", []string{"東京", "京都", "都に", "に住", "住む"}},
		{"iPhone 15, COVID-19", []string{"iphon", "15", "covid", "19"}},
		{"日", []string{"日"}},
		{"Москва — столица", []string{"москва", "столица"}},
	} {
		if got := Of(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Of(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
