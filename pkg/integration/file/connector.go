package file

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
)

// claimSep separates the claim time from the file name in processing/.
const claimSep = "~"

// errorNoteSuffix names the note written next to a failed file.
const errorNoteSuffix = ".error.txt"

// Connector is the file feed connector (INTEGRATION.md §7.2 with the [GO]
// rules). Each matching file is claimed by an atomic rename into
// processing/ (so several replicas sharing the directory process each file
// once), read, and handed out as one message. Ack moves it to processed/
// (or deletes it); Nack with a permanent reason moves it to failed/ with a
// <name>.error.txt note; Nack with a transient reason returns it to the
// inbox. A file claimed by a process that died is returned to the inbox by
// the next Connect once its claim is older than ClaimLease.
type Connector struct {
	opts ConnectorOptions
	base *component.ConnectorBase

	mu        sync.Mutex
	connected bool
	// streams cancels the active Consume calls at Disconnect.
	streams map[*int]context.CancelFunc
}

var _ integration.Connector = (*Connector)(nil)

// NewConnector validates opts and returns a disconnected connector.
// Options: the logger, clock and registry of o (ID, Name and Kind are set
// from opts).
func NewConnector(opts ConnectorOptions, o component.Options) (*Connector, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	o.ID, o.Name, o.Kind = opts.ID, opts.Name, "file"
	base, err := component.NewConnectorBase(opts.Config, o)
	if err != nil {
		return nil, err
	}
	return &Connector{opts: opts, base: base}, nil
}

// ID returns the component ID.
func (c *Connector) ID() string { return c.base.ID() }

// Kind returns "file".
func (c *Connector) Kind() string { return "file" }

// Base returns the shared component part.
func (c *Connector) Base() *component.ConnectorBase { return c.base }

// Snapshot returns the /status report.
func (c *Connector) Snapshot() integration.ComponentSnapshot { return c.base.Snapshot() }

// Connect checks the directory, creates processing/, processed/ and
// failed/, and returns stale claims to the inbox. Calling it again while
// connected does nothing.
func (c *Connector) Connect(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.connected {
		return nil
	}
	c.base.Connecting()
	if err := c.checkDirectory(); err != nil {
		c.base.ConnectError(err)
		return err
	}
	for _, dir := range []string{c.opts.ProcessingDir, c.opts.ProcessedDir, c.opts.FailedDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			c.base.ConnectError(err)
			return err
		}
	}
	if err := c.recoverStaleClaims(ctx); err != nil {
		c.base.ConnectError(err)
		return err
	}
	c.connected = true
	c.base.Connected()
	return nil
}

func (c *Connector) checkDirectory() error {
	st, err := os.Stat(c.opts.Directory)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory not found: %s: %w", c.opts.Directory, fs.ErrNotExist)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("not a directory: %s", c.opts.Directory)
	}
	return nil
}

// recoverStaleClaims returns files claimed longer ago than the lease.
func (c *Connector) recoverStaleClaims(ctx context.Context) error {
	entries, err := os.ReadDir(c.opts.ProcessingDir)
	if err != nil {
		return err
	}
	now := c.base.Clock().Now()
	for _, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		claimed, name, ok := parseClaim(e.Name())
		if !ok || now.Sub(claimed) < c.opts.ClaimLease {
			continue
		}
		src := filepath.Join(c.opts.ProcessingDir, e.Name())
		dst := filepath.Join(c.opts.Directory, name)
		if _, err := os.Lstat(dst); err == nil {
			c.base.Logger().Warn("Stale claim not returned: a file of that name is in the inbox",
				"operation", "connect", "file", name)
			continue
		}
		if err := os.Rename(src, dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		c.base.Logger().Warn("Stale claim returned to the inbox", "operation", "connect",
			"file", name, "claimed_at", claimed.UTC())
	}
	return nil
}

// Consume hands out one message per file until the inbox is exhausted
// (without watch mode), ctx ends, or a terminal error occurs.
func (c *Connector) Consume(ctx context.Context, out chan<- *integration.Message) error {
	if err := c.base.CheckEnabled(); err != nil {
		return err
	}
	if err := c.Connect(ctx); err != nil {
		return err
	}
	parent := ctx
	ctx, stop := c.track(ctx)
	defer stop()
	err := c.consume(ctx, out)
	if err != nil && parent.Err() == nil && ctx.Err() != nil {
		return nil // ended by Disconnect
	}
	return err
}

// track derives a context that Disconnect cancels.
func (c *Connector) track(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	key := new(int)
	c.mu.Lock()
	if c.streams == nil {
		c.streams = map[*int]context.CancelFunc{}
	}
	c.streams[key] = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		delete(c.streams, key)
		c.mu.Unlock()
		cancel()
	}
}

func (c *Connector) consume(ctx context.Context, out chan<- *integration.Message) error {
	for {
		names, err := c.scan()
		if err != nil {
			c.base.ConsumeError(err)
			return err
		}
		for _, name := range names {
			if err := c.process(ctx, name, out); err != nil {
				return err
			}
		}
		if !c.opts.WatchMode {
			return nil
		}
		if err := clock.Sleep(ctx, c.base.Clock(), c.opts.PollInterval); err != nil {
			return err
		}
	}
}

// scan lists the ready inbox files in code-point order.
func (c *Connector) scan() ([]string, error) {
	entries, err := os.ReadDir(c.opts.Directory)
	if err != nil {
		return nil, err
	}
	now := c.base.Clock().Now()
	var names []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !c.matches(name) {
			continue
		}
		if c.opts.WatchMode && c.opts.SettleAge > 0 {
			info, err := e.Info()
			if err != nil || now.Sub(info.ModTime()) < c.opts.SettleAge {
				continue // still being written, or gone
			}
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

func (c *Connector) matches(name string) bool {
	if strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
		return false
	}
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(c.opts.FilePattern, ".") {
		return false
	}
	ok, _ := path.Match(c.opts.FilePattern, name)
	return ok
}

// process claims, reads and hands out one file. The claim is the rename
// itself (a file another replica claimed first is gone: ENOENT); size and
// modification time for the position come from the opened file, which the
// rename does not change.
func (c *Connector) process(ctx context.Context, name string, out chan<- *integration.Message) error {
	inbox := filepath.Join(c.opts.Directory, name)
	claimName := strconv.FormatInt(c.base.Clock().Now().UnixNano(), 10) + claimSep + name
	claimed := filepath.Join(c.opts.ProcessingDir, claimName)
	if err := rename(inbox, claimed); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // another replica won the claim
		}
		c.base.Failed(err, "file", name)
		return nil
	}
	f := &claim{c: c, name: name, path: claimed}
	payload, info, n, err := c.read(claimed, inbox)
	if err != nil {
		c.base.Failed(err, "file", name)
		if ferr := f.fail(err); ferr != nil {
			c.base.Logger().Error("Cannot move failed file", "file", name, "error", c.base.Redact(ferr.Error()))
		}
		return nil
	}
	pos := Position(name, info.Size(), info.ModTime())
	msg := integration.NewMessage(c.base.ID(), pos, payload, c.base.Clock().Now().UTC(), f.settle)
	msg.Metadata = map[string]string{"file": name, "path": inbox}
	select {
	case out <- msg:
		c.base.Received(n, "file", name)
		return nil
	case <-ctx.Done():
		// Not handed out: give the file back at once.
		if err := f.release(); err != nil {
			c.base.Logger().Error("Cannot return file to the inbox", "file", name, "error", err.Error())
		}
		return ctx.Err()
	}
}

// read returns the message payload of a claimed file, its file info and
// the bytes read: the JSON text for ".json" files, {"content", "path"} for
// other suffixes. The file is read in one read(2) of its size; a file over
// max_message_bytes is refused without reading it.
func (c *Connector) read(claimed, inbox string) ([]byte, fs.FileInfo, int, error) {
	f, err := openRead(claimed)
	if err != nil {
		return nil, nil, 0, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, 0, err
	}
	limit := int64(c.base.Config().MaxMessageBytes)
	if info.Size() > limit {
		return nil, info, 0, integration.Invalid(fmt.Errorf("file is larger than max_message_bytes (%d)", limit))
	}
	data := make([]byte, info.Size())
	n, err := io.ReadFull(f, data)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, info, n, err
	}
	data = data[:n] // shorter when the file shrank after the stat
	if !utf8.Valid(data) {
		return nil, info, n, integration.DecodeError(errors.New("file is not valid UTF-8"))
	}
	if filepath.Ext(inbox) == ".json" {
		if !json.Valid(data) {
			var v any // only for the error, which says what and where
			err := json.Unmarshal(data, &v)
			if err == nil {
				err = errors.New("file is not valid JSON")
			}
			return nil, info, n, integration.DecodeError(err)
		}
		return data, info, n, nil
	}
	wrapped, err := json.Marshal(struct {
		Content string `json:"content"`
		Path    string `json:"path"`
	}{string(data), inbox})
	return wrapped, info, n, err
}

// Disconnect ends active Consume calls (they return nil) and sets status
// disconnected. Files handed out and not yet settled stay in processing/
// until settled or recovered after the lease. Calling it twice is safe.
func (c *Connector) Disconnect(context.Context) error {
	c.mu.Lock()
	c.connected = false
	for _, cancel := range c.streams {
		cancel()
	}
	c.mu.Unlock()
	c.base.Disconnected()
	return nil
}

// Position returns the §9.3 position of a file: "<name>@<size>:<mtime unix ns>".
func Position(name string, size int64, mtime time.Time) string {
	return name + "@" + strconv.FormatInt(size, 10) + ":" + strconv.FormatInt(mtime.UnixNano(), 10)
}

// parseClaim splits "<unix ns>~<name>".
func parseClaim(s string) (time.Time, string, bool) {
	ts, name, ok := strings.Cut(s, claimSep)
	if !ok || name == "" {
		return time.Time{}, "", false
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.Unix(0, ns), name, true
}

// claim is one file in processing/.
type claim struct {
	c    *Connector
	name string
	path string
}

// settle is the Ack/Nack callback of the file's message.
func (f *claim) settle(_ context.Context, reason error) error {
	switch {
	case reason == nil:
		return f.done()
	case integration.IsPermanent(reason):
		return f.fail(reason)
	default:
		return f.release()
	}
}

// done disposes of an acknowledged file.
func (f *claim) done() error {
	if f.c.opts.AfterProcess == AfterProcessDelete {
		return os.Remove(f.path)
	}
	return rename(f.path, filepath.Join(f.c.opts.ProcessedDir, f.name))
}

// fail moves the file to failed/ and writes the error note.
func (f *claim) fail(reason error) error {
	note := filepath.Join(f.c.opts.FailedDir, f.name+errorNoteSuffix)
	text := f.c.base.Redact(reason.Error()) + "\n"
	if err := os.WriteFile(note, []byte(text), 0o644); err != nil {
		return err
	}
	return rename(f.path, filepath.Join(f.c.opts.FailedDir, f.name))
}

// release returns the file to the inbox so it is delivered again.
func (f *claim) release() error {
	return rename(f.path, filepath.Join(f.c.opts.Directory, f.name))
}
