package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailure = 1 // the command failed while running
	exitUsage   = 2 // invalid flags or invalid input
)

// stdio are the streams a subcommand reads and writes; tests pass buffers.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// runFunc runs a subcommand with its arguments (without the command name)
// and returns the exit code. It must stop when ctx is cancelled.
type runFunc func(ctx context.Context, args []string, std stdio) int

type command struct {
	summary string
	run     runFunc
}

var commands = map[string]command{}

// register adds a subcommand; call it from an init function of the
// subcommand's file. Registering a name twice panics at start-up.
func register(name, summary string, run runFunc) {
	if _, dup := commands[name]; dup {
		panic("mfn: command " + name + " registered twice")
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0].
func dispatch(ctx context.Context, args []string, std stdio) int {
	if len(args) == 0 {
		usage(std.err)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(std.out)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(std.err, "mfn: unknown command %q (run 'mfn help')\n", args[0])
		return exitUsage
	}
	return cmd.run(ctx, args[1:], std)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: mfn <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nRun 'mfn <command> -h' for the flags of a command.")
}
