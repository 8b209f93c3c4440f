package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
)

func init() {
	register("receive", "receive signed webhook events and append them to a JSON Lines file", runReceive)
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

type receiveOptions struct {
	listen      string
	out         string
	secrets     []string
	allowLegacy bool
	tolerance   time.Duration
	maxBody     int64
}

func runReceive(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	fs.SetOutput(std.err)
	var o receiveOptions
	var secrets, secretEnvs stringList
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9090", "address to listen on")
	fs.StringVar(&o.out, "out", "events.jsonl", "JSON Lines file the accepted events are appended to")
	fs.Var(&secrets, "secret", "HMAC secret (repeatable, for rotation); prefer -secret-env")
	fs.Var(&secretEnvs, "secret-env", "environment variable holding an HMAC secret (repeatable)")
	fs.BoolVar(&o.allowLegacy, "allow-legacy", true, "accept requests signed only with the legacy X-Webhook-Signature")
	fs.DurationVar(&o.tolerance, "tolerance", 300*time.Second, "largest accepted clock difference of X-Webhook-Timestamp")
	fs.Int64Var(&o.maxBody, "max-body", 1<<20, "largest accepted request body in bytes")
	fs.Usage = func() {
		fmt.Fprintln(std.err, "Usage: mfn receive (-secret-env VAR | -secret S) [-listen ADDR] [-out FILE]")
		fmt.Fprintln(std.err, "\nVerifies X-Webhook-Signature(-V1) of every POST, answers 401 for a bad or missing")
		fmt.Fprintln(std.err, "signature, 409 for a replayed request, 200 for a duplicate event id (not written")
		fmt.Fprintln(std.err, "again) and appends every accepted body as one line to -out. Stops on SIGINT/SIGTERM.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	o.secrets = append(o.secrets, secrets...)
	for _, env := range secretEnvs {
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			fmt.Fprintf(std.err, "mfn receive: -secret-env: environment variable %s is not set or empty\n", env)
			return exitUsage
		}
		o.secrets = append(o.secrets, v)
	}
	if len(o.secrets) == 0 {
		fmt.Fprintln(std.err, "mfn receive: a secret is required (-secret-env VAR or -secret S)")
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(std.err, nil))
	if err := receive(ctx, o, log, nil); err != nil {
		fmt.Fprintf(std.err, "mfn receive: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// receiver is the HTTP handler of `mfn receive`.
type receiver struct {
	verifier *webhook.Verifier
	maxBody  int64
	log      *slog.Logger

	mu  sync.Mutex
	out *os.File

	accepted, duplicates, rejected atomic.Int64
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
		_, _ = w.Write([]byte("ok\n"))
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, res, err := rc.verifier.VerifyRequest(r, rc.maxBody)
	switch {
	case errors.Is(err, webhook.ErrDuplicate):
		rc.duplicates.Add(1)
		rc.log.Info("Duplicate event acknowledged, not written again", "eventId", res.EventID)
		w.WriteHeader(http.StatusOK)
		return
	case errors.Is(err, webhook.ErrReplayed):
		rc.rejected.Add(1)
		rc.log.Warn("Replayed request rejected", "eventId", res.EventID)
		http.Error(w, err.Error(), http.StatusConflict)
		return
	case err != nil:
		rc.rejected.Add(1)
		rc.log.Warn("Request rejected", "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), webhook.StatusCode(err))
		return
	}
	if err := rc.append(body); err != nil {
		// Not written: let the sender retry and accept the redelivery.
		rc.verifier.Forget(res.EventID)
		rc.log.Error("Event not written", "err", err)
		http.Error(w, "storage error", http.StatusInternalServerError)
		return
	}
	rc.accepted.Add(1)
	w.WriteHeader(http.StatusOK)
}

// append writes body as one line; a body spanning lines is compacted first.
func (rc *receiver) append(body []byte) error {
	line := bytes.TrimSpace(body)
	if bytes.ContainsAny(line, "\r\n") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, line); err != nil {
			return fmt.Errorf("body is neither one line nor JSON: %w", err)
		}
		line = buf.Bytes()
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	_, err := rc.out.Write(append(line[:len(line):len(line)], '\n'))
	return err
}

// receive serves until ctx ends. ready, when not nil, receives the bound
// address once the listener is open.
func receive(ctx context.Context, o receiveOptions, log *slog.Logger, ready chan<- string) error {
	v, err := webhook.NewVerifier(webhook.VerifierConfig{Secrets: o.secrets, Tolerance: o.tolerance, AllowLegacy: o.allowLegacy})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(o.out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	rc := &receiver{verifier: v, maxBody: o.maxBody, log: log, out: f}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 5 * time.Second}
	log.Info("Receiving webhooks", "addr", ln.Addr().String(), "out", o.out)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	log.Info("Receiver stopped", "accepted", rc.accepted.Load(), "duplicates", rc.duplicates.Load(), "rejected", rc.rejected.Load())
	return nil
}
