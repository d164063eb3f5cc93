package grade

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoQuestions means a folder is not a question set.
var ErrNoQuestions = errors.New("grade: not a question set")

// Question is one question of a set with its gold answers.
type Question struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"` // none: the documents do not answer it
	// Doc is the document that answers it, relative to the set's folder
	// or its documents folder ("" when unknown or unanswerable).
	Doc string `json:"doc"`
}

// Set is a question set: documents to index and questions about them.
type Set struct {
	// Documents is the folder of documents (any format Carrel reads).
	Documents string
	Questions []Question
}

// Load reads a question set from dir, in one of two layouts:
//
//   - dir/questions.jsonl and dir/documents/: the layout a person writes
//     for their own documents;
//   - dir/questions-NAME.jsonl and dir/articles-NAME/: SQuAD as
//     ../shared/qa/squad holds it (questions-v1.1-dev.jsonl beside
//     articles-v1.1-dev/).
//
// Each line of the questions file is a JSON object with "question",
// "answers" (a list of acceptable answers, each as the documents word it;
// an empty list for a question the documents do not answer) and,
// optionally, "id" and "doc" (the answering document's path, used to hold
// documents out). Blank lines and lines starting with # are skipped.
func Load(dir string) (*Set, error) {
	qfile, docs, err := layout(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(qfile)
	if err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	defer f.Close()
	set := &Set{Documents: docs}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := strings.TrimSpace(sc.Text())
		if b == "" || strings.HasPrefix(b, "#") {
			continue
		}
		var q Question
		if err := json.Unmarshal([]byte(b), &q); err != nil {
			return nil, fmt.Errorf("grade: %s, line %d: %w", filepath.Base(qfile), line, err)
		}
		if strings.TrimSpace(q.Question) == "" {
			return nil, fmt.Errorf("grade: %s, line %d: no \"question\"", filepath.Base(qfile), line)
		}
		kept := q.Answers[:0]
		for _, a := range q.Answers {
			if strings.TrimSpace(a) != "" {
				kept = append(kept, a)
			}
		}
		q.Answers = kept
		if q.ID == "" {
			q.ID = fmt.Sprintf("line-%d", line)
		}
		set.Questions = append(set.Questions, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("grade: %s: %w", filepath.Base(qfile), err)
	}
	if len(set.Questions) == 0 {
		return nil, fmt.Errorf("%w: %s holds no questions", ErrNoQuestions, qfile)
	}
	return set, nil
}

// layout finds the questions file and the documents folder of dir.
func layout(dir string) (questions, documents string, err error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", "", fmt.Errorf("%w: %s is not a folder", ErrNoQuestions, dir)
	}
	q, d := filepath.Join(dir, "questions.jsonl"), filepath.Join(dir, "documents")
	if isFile(q) && isDir(d) {
		return q, d, nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "questions-*.jsonl"))
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "questions-"), ".jsonl")
		if d := filepath.Join(dir, "articles-"+name); isDir(d) {
			return m, d, nil
		}
	}
	return "", "", fmt.Errorf("%w: %s has neither questions.jsonl with documents/ nor questions-NAME.jsonl with articles-NAME/", ErrNoQuestions, dir)
}

// Path is where the document of q lies: Doc relative to the set's folder
// (SQuAD's "articles-v1.1-dev/X.txt") or to its documents folder.
func (s *Set) Path(q Question) string {
	if q.Doc == "" {
		return ""
	}
	if p := filepath.Join(filepath.Dir(s.Documents), q.Doc); isFile(p) {
		return p
	}
	return filepath.Join(s.Documents, q.Doc)
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
