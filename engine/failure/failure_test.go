package failure

import (
	"errors"
	"fmt"
	"testing"
)

// Every kind names its sentinel and back, through wrapping; a wrong
// password is still an encrypted file; anything else is Unknown.
func TestKindsAndSentinels(t *testing.T) {
	for _, x := range kinds {
		wrapped := fmt.Errorf("report.pdf: %w", x.err)
		if got := KindOf(wrapped); got != x.kind {
			t.Errorf("KindOf(%v) = %s, want %s", wrapped, got, x.kind)
		}
		if x.kind.Err() != x.err {
			t.Errorf("%s.Err() = %v", x.kind, x.kind.Err())
		}
	}
	if !errors.Is(ErrWrongPassword, ErrEncrypted) || !errors.Is(ErrOCROff, ErrScanned) {
		t.Error("a wrong password is not an encrypted file, or OCR turned off not a scan")
	}
	if KindOf(errors.New("something else")) != Unknown || KindOf(nil) != Unknown || Kind("new_in_a_later_version").Err() != nil {
		t.Error("an unknown failure has a kind")
	}
	if Words(ErrTooLarge) != "file is too large" {
		t.Errorf("words %q", Words(ErrTooLarge))
	}
}
