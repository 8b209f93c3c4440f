package file

import (
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

// JSONLPublisher appends one JSON document per line to a file. Messages are
// written one by one through the batching engine; the file is fsynced at
// the end of every flush and messages count as delivered only after that.
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
}

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
	return nil
}

// Send appends the body and a newline in one write.
func (s *jsonlSink) Send(_ context.Context, msg integration.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return integration.NotSent(errors.New("jsonl file is not open"))
	}
	for _, b := range msg.Body {
		if b == '\n' || b == '\r' {
			return integration.Invalid(fmt.Errorf("message %s contains a line break; JSON Lines needs compact JSON", msg.EventID))
		}
	}
	line := make([]byte, 0, len(msg.Body)+1)
	line = append(append(line, msg.Body...), '\n')
	_, err := s.f.Write(line)
	return err
}

// Sync fsyncs the file.
func (s *jsonlSink) Sync(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	return s.f.Sync()
}

func (s *jsonlSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
