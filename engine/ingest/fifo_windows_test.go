//go:build windows

package ingest

import "errors"

func mkfifo(string) error { return errors.New("Windows has no FIFOs") }
