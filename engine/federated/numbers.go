package federated

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/carrel-ai/carrel/internal/atomicfile"
)

// Numbers keeps, per server, the store number its IDs carry, in a file of
// the data folder: the IDs saved with conversations keep leading to the
// same server's rows after servers are added or taken away. Number 0 is
// the data folder's own store, never a server's.
type Numbers struct {
	Numbers map[string]int `json:"numbers"` // by the server's redacted connection string
	changed bool
}

// NumbersFile is the file of Numbers in a data folder.
const NumbersFile = "library-servers.json"

// ReadNumbers reads the numbers kept in dir; none when there is no file.
func ReadNumbers(dir string) (*Numbers, error) {
	s := &Numbers{Numbers: map[string]int{}}
	data, err := os.ReadFile(filepath.Join(dir, NumbersFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("federated: reading %s: %w", NumbersFile, err)
	}
	if err := json.Unmarshal(data, s); err != nil {
		return s, fmt.Errorf("federated: %s is damaged (delete it; saved answers' sources on team servers may then not open): %w",
			filepath.Join(dir, NumbersFile), err)
	}
	if s.Numbers == nil {
		s.Numbers = map[string]int{}
	}
	return s, nil
}

// Number returns the server's number, giving a new server the lowest one
// free.
func (s *Numbers) Number(server string) (int, error) {
	if n, ok := s.Numbers[server]; ok && n > 0 && n < MaxStores {
		return n, nil
	}
	used := map[int]bool{}
	for _, n := range s.Numbers {
		used[n] = true
	}
	for n := 1; n < MaxStores; n++ {
		if !used[n] {
			s.Numbers[server] = n
			s.changed = true
			return n, nil
		}
	}
	return 0, fmt.Errorf("federated: at most %d library servers can be used", MaxStores-1)
}

// Save writes the numbers to dir when a server was given a new one.
func (s *Numbers) Save(dir string) error {
	if !s.changed {
		return nil
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, NumbersFile), data); err != nil {
		return fmt.Errorf("federated: saving %s: %w", NumbersFile, err)
	}
	s.changed = false
	return nil
}
