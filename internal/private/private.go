// Package private keeps a person's data readable by them alone: folders
// 0700 and files 0600, whatever the umask, also for folders and files an
// older Carrel created more open. (On Windows the permission bits do not
// apply; the user's profile folder is already private.)
package private

import (
	"errors"
	"io/fs"
	"os"
)

// Dir makes a folder and its missing parents, and tightens the folder to
// 0700 if it is more open.
func Dir(path string) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	return tighten(path, 0o700)
}

// File tightens an existing file to 0600 if it is more open; a missing
// file is no error.
func File(path string) error {
	err := tighten(path, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Create makes an empty file with mode 0600 if it does not exist, so that
// a program that creates it later (SQLite) finds it private.
func Create(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	return File(path)
}

func tighten(path string, mode fs.FileMode) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm()&^mode == 0 {
		return nil
	}
	return os.Chmod(path, st.Mode().Perm()&mode)
}
