// Package locale gives the process a usable locale before Fyne reads it.
//
// Fyne parses the user's locale while its packages initialize and logs an
// error for the POSIX "C" locale (or none), common in containers and
// services: three lines of noise before every command's output. Importing
// this package first sets LANG to en_US.UTF-8 in that case only; Go
// initializes it before Fyne's locale package (see the test).
package locale

import (
	"os"
	"strings"
)

func init() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if v != "C" && v != "POSIX" && !strings.HasPrefix(v, "C.") {
			return // a real locale: leave it
		}
		os.Unsetenv(k) // a C locale would hide LANG
	}
	os.Setenv("LANG", "en_US.UTF-8")
}
