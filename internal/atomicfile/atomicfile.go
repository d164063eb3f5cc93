// Package atomicfile replaces small files whole: a reader, or a crash or
// full disk midway, sees the old file or the new one, never a torn one.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to a new file beside path (readable by the owner
// only), syncs it and renames it over path, then syncs the folder so the
// rename survives a power cut where the system allows. On error the old
// file is left as it was and the new one removed.
func Write(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // not every system can sync a folder
		d.Close()
	}
	return nil
}
