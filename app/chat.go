package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/carrel-ai/carrel/engine/llm"
)

func chatCmd() *command {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	var mf modelFlags
	var sf samplingFlags
	mf.register(fs)
	sf.register(fs, 0)
	system := fs.String("system", "You are a helpful assistant.", "system prompt")
	return &command{
		Name: "chat", Usage: "--model FILE [flags]",
		Short: "talk with a model in the terminal, using the model's chat template",
		Flags: fs, Interactive: true,
		Run: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usagef("chat takes no arguments; type your messages after it starts")
			}
			c, closeAll, err := mf.open(ctx, os.Stderr)
			if err != nil {
				return err
			}
			defer closeAll()
			return chatLoop(ctx, c, *system, sf.options(), os.Stdin, os.Stdout, os.Stderr)
		},
	}
}

// chatLoop reads a message per line until end of input or "/exit". Ctrl+C
// while the model answers stops that answer; at the prompt it ends the chat.
func chatLoop(ctx context.Context, c *llm.Context, system string, opts llm.GenerateOptions, in io.Reader, out, info io.Writer) error {
	fmt.Fprintf(info, "Chatting with %s (%s; %s). Type /reset to start over, /exit to leave.\n",
		c.Model().Info().Name, c.Model().ChatFormat(), c.Model().Placement().Reason)
	var msgs []llm.Message
	if strings.TrimSpace(system) != "" {
		msgs = append(msgs, llm.Message{Role: "system", Content: system})
	}
	base := len(msgs)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	lines := make(chan string)
	go func() { // stdin cannot be interrupted, so it is read on its own
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	for {
		fmt.Fprint(out, "\n> ")
		var line string
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sig:
			fmt.Fprintln(out)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(out)
				return nil
			}
			line = strings.TrimSpace(l)
		}
		switch line {
		case "":
			continue
		case "/exit", "/quit":
			return nil
		case "/reset":
			msgs = msgs[:base]
			fmt.Fprintln(info, "(conversation cleared)")
			continue
		}
		msgs = append(msgs, llm.Message{Role: "user", Content: line})
		answer, st, err := answerOnce(ctx, c, msgs, opts, out, sig)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		msgs = append(msgs, llm.Message{Role: "assistant", Content: answer})
		if st.DroppedMessages > 0 {
			fmt.Fprintf(info, "(the conversation outgrew the context: the %d oldest messages were left out)\n", st.DroppedMessages)
		}
		fmt.Fprintf(info, "[%s]\n", timingLine(st))
	}
}

// answerOnce streams one reply; a signal on sig cancels only this reply.
func answerOnce(ctx context.Context, c *llm.Context, msgs []llm.Message, opts llm.GenerateOptions, out io.Writer, sig <-chan os.Signal) (string, llm.Stats, error) {
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sig:
			cancel()
		case <-actx.Done():
		}
	}()
	var b strings.Builder
	st, err := c.Chat(actx, msgs, opts, func(s string) error {
		b.WriteString(s)
		_, err := io.WriteString(out, s)
		return err
	})
	fmt.Fprintln(out)
	return b.String(), st, err
}
