//go:build windows

package docs

import "errors"

func syscallMkfifo(string) error { return errors.New("Windows has no FIFOs") }
