package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Settings)
		want   string // "" for valid
	}{
		{"defaults", func(*Settings) {}, ""},
		{"address off this computer", func(s *Settings) { s.ServeAddr = "0.0.0.0:8765" }, "must be on this computer"},
		{"loopback address", func(s *Settings) { s.ServeAddr = "127.0.0.1:9000" }, ""},
		{"temperature", func(s *Settings) { s.Temperature = 3 }, "temperature"},
		{"small context", func(s *Settings) { s.ContextSize = 100 }, "context size"},
		{"chunk size", func(s *Settings) { s.ChunkTokens = 10 }, "chunk size"},
		{"OCR word", func(s *Settings) { s.OCR = "maybe" }, "OCR must be"},
		{"OCR language", func(s *Settings) { s.OCRLanguages = "eng+de-DE" }, "language pack"},
		{"OCR languages", func(s *Settings) { s.OCRLanguages = "eng+chi_sim" }, ""},
		{"chat server", func(s *Settings) { s.ChatServer = "gpu.lab:8080" }, "http://"},
		{"library server", func(s *Settings) { s.LibraryServer = "mysql://x" }, "postgres://"},
		{"embedding model of an unplaced library", func(s *Settings) {
			s.LibraryEmbedModels = map[string]EmbedChoice{"Team": {Model: "a.gguf"}}
		}, "needs the library placed on a server"},
		{"two libraries of one server, two models", func(s *Settings) {
			s.LibraryServers = map[string]string{"A": "postgres://h/db", "B": "postgres://h/db"}
			s.LibraryEmbedModels = map[string]EmbedChoice{"A": {Model: "a.gguf"}, "B": {Model: "b.gguf"}}
		}, "share a server"},
		{"adapter scale", func(s *Settings) { s.AdapterScale = 5 }, "adapter scale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Default()
			tc.change(&s)
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestSaveAndRead(t *testing.T) {
	dir := t.TempDir()
	if s, err := Read(dir); err != nil || !reflect.DeepEqual(s, Default()) {
		t.Fatalf("a new folder: %+v %v", s, err)
	}
	s := Default()
	s.Temperature, s.Library = 0.7, "Work"
	s.LibraryServers = map[string]string{"Team": "postgres://ann@h/db"}
	s.LibraryEmbedModels = map[string]EmbedChoice{"Team": {Model: "http://gpu:8080/v1", ServerModel: "e5"}}
	if err := Save(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil || !reflect.DeepEqual(got, s) {
		t.Fatalf("read back %+v %v, want %+v", got, err, s)
	}
	c := s.Clone()
	c.LibraryServers["Other"] = "postgres://h/other"
	if len(s.LibraryServers) != 1 {
		t.Error("a clone shares its maps")
	}
	os.WriteFile(filepath.Join(dir, File), []byte("temperature = [oops"), 0o600)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), File) {
		t.Errorf("a damaged file: %v", err)
	}
}
