package engine_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/carrel-ai/carrel/engine"
)

// A program that keeps its own library: open a data folder, add a
// document, wait until it is indexed, and search it.
func ExampleOpen() {
	ctx := context.Background()
	data, _ := os.MkdirTemp("", "carrel-example-")
	defer os.RemoveAll(data)
	note := filepath.Join(data, "tower.txt")
	os.WriteFile(note, []byte("The Eiffel Tower is 330 metres tall. It was completed in 1889."), 0o644)

	e, err := engine.Open(ctx, engine.Options{DataDir: filepath.Join(data, "carrel")})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Add(ctx, "Notes", true, note); err != nil {
		log.Fatal(err)
	}
	if err := e.WaitIndexed(ctx); err != nil {
		log.Fatal(err)
	}
	res, err := e.Search(ctx, "how tall is the tower", engine.SearchOptions{Library: "Notes"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(filepath.Base(res.Hits[0].Path), res.Relevant)
	// Output: tower.txt true
}

// Asking streams the answer and returns it with its sources. With no chat
// model set, as here, the answer is the best passages; with one
// (Settings.ChatModel), the model writes an answer that cites them.
func ExampleEngine_Ask() {
	ctx := context.Background()
	data, _ := os.MkdirTemp("", "carrel-example-")
	defer os.RemoveAll(data)
	note := filepath.Join(data, "bread.md")
	os.WriteFile(note, []byte("# Sourdough\n\nA sourdough starter is flour and water, fed every day."), 0o644)

	e, err := engine.Open(ctx, engine.Options{DataDir: filepath.Join(data, "carrel")})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	e.Add(ctx, "Kitchen", false, note)
	e.WaitIndexed(ctx)

	a, err := e.Ask(ctx, "What is a sourdough starter made of?", engine.AskOptions{Library: "Kitchen"},
		func(d engine.Delta) error { return nil }) // a front end shows d.Text as it arrives
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Outcome)
	fmt.Println(a.Sources[0].Locator())

	a, _ = e.Ask(ctx, "Who won the 1998 World Cup?", engine.AskOptions{Library: "Kitchen"}, nil)
	fmt.Println(a.Outcome, "—", a.Text)
	// Output:
	// retrieval_only
	// bread.md, “Sourdough”
	// not_found — I could not find this in your documents.
}

// Every answer is saved in a conversation, which can be continued,
// listed and exported.
func ExampleEngine_ExportConversation() {
	ctx := context.Background()
	data, _ := os.MkdirTemp("", "carrel-example-")
	defer os.RemoveAll(data)
	e, err := engine.Open(ctx, engine.Options{DataDir: data})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	a, _ := e.Ask(ctx, "What is in my library?", engine.AskOptions{}, nil)
	md, _ := e.ExportConversation(a.Conversation)
	lines := strings.Split(md, "\n")
	fmt.Println(strings.Join(lines[:7], "\n")) // then the time, and footnotes for cited sources
	// Output:
	// # What is in my library?
	//
	// **Question:** What is in my library?
	//
	// **Answer:** I could not find this in your documents.
	//
	// *Not found in the documents.*
}
