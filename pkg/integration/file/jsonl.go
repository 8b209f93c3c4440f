package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/batch"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// JSONLOptions configure the JSON Lines file publisher (INTEGRATION.md
// §8.8, kind "jsonl"), a sink for tests, debugging and simple setups.
type JSONLOptions struct {
	// ID overrides the component ID (default "jsonl-" + Path).
	ID string
	// Name is the configured name (default the ID).
	Name string
	// Path is the file the messages are appended to; its directory is
	// created on connect. Required.
	Path string
	// Config holds batching, delivery guarantee, retries and metrics.
	Config integration.PublisherConfig
}

// JSONLPublisher appends one JSON document per line to a file. The lines
// of a flush are written with one write(2) (the sink is a batch.BatchSender)
// and the file is fsynced once at the end of the flush: messages count as
// delivered only after that fsync, so a group of messages shares one fsync
// without weakening at-least-once.
type JSONLPublisher struct {
	*batch.Publisher
}

// NewJSONLPublisher validates opts and returns a publisher (not yet connected).
func NewJSONLPublisher(opts JSONLOptions, o component.Options) (*JSONLPublisher, error) {
	if opts.Path == "" {
		return nil, errors.New("invalid jsonl publisher options: path: must not be empty")
	}
	o.ID, o.Name, o.Kind = opts.ID, opts.Name, "jsonl"
	if o.ID == "" {
		o.ID = "jsonl-" + opts.Path
	}
	p, err := batch.New(opts.Config, &jsonlSink{path: opts.Path}, o)
	if err != nil {
		return nil, err
	}
	return &JSONLPublisher{p}, nil
}

type jsonlSink struct {
	path string
	mu   sync.Mutex
	f    *os.File
	sync *syncer // fsyncs f
	buf  []byte  // lines of one SendBatch, reused up to maxKeptBuffer
}

// maxKeptBuffer bounds the write buffer kept between batches.
const maxKeptBuffer = 1 << 20

var _ batch.BatchSender = (*jsonlSink)(nil)

func (s *jsonlSink) Open(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return integration.Permanent(err)
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return integration.Permanent(err)
	}
	s.f = f
	s.sync = newSyncer(f)
	return nil
}

// Send appends the body and a newline in one write.
func (s *jsonlSink) Send(ctx context.Context, msg integration.Outgoing) error {
	_, err := s.SendBatch(ctx, []integration.Outgoing{msg})
	return err
}

// SendBatch appends the lines of msgs in one write and returns how many
// lines were written whole. A body with a line break is refused (Invalid)
// after the lines before it are written.
func (s *jsonlSink) SendBatch(_ context.Context, msgs []integration.Outgoing) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return 0, integration.NotSent(errors.New("jsonl file is not open"))
	}
	buf := s.buf[:0]
	ends := 0 // messages whose line is in buf
	var bad error
	for _, m := range msgs {
		if bytes.ContainsAny(m.Body, "\r\n") {
			bad = integration.Invalid(fmt.Errorf("message %s contains a line break; JSON Lines needs compact JSON", m.EventID))
			break
		}
		buf = append(append(buf, m.Body...), '\n')
		ends++
	}
	if cap(buf) <= maxKeptBuffer {
		s.buf = buf
	}
	if len(buf) == 0 {
		return 0, bad
	}
	written, err := s.f.Write(buf)
	if err != nil {
		// Count the lines that reached the file whole.
		return bytes.Count(buf[:written], []byte{'\n'}), err
	}
	return ends, bad
}

// Sync fsyncs the file (see syncer: the goroutine waits parked, not in
// a system call).
func (s *jsonlSink) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	return s.sync.sync()
}

func (s *jsonlSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	s.sync.close()
	err := s.f.Close()
	s.f, s.sync = nil, nil
	return err
}
