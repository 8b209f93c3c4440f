package rest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/poll"
	"github.com/mfn-io/mfn-operator/pkg/integration/schema"
)

// Connector polls one HTTP resource (INTEGRATION.md §7.3).
//
// Each poll is one request through the retry loop and circuit breaker. A
// JSON array body becomes one message per element, any other JSON value one
// message. A message that is not a simulation input (schema.DecodeInput:
// not an object, malformed envelope) is counted in messages_failed and
// handed out with Metadata["error"] so that the pipeline dead-letters it. Positions are "<url>#<version>" or "<url>#<version>/<index>",
// where the URL has user-info and query removed and version is the ETag, or
// the hex SHA-256 of the body when the server sends none.
//
// Unchanged resources are not re-emitted: the connector sends
// If-None-Match/If-Modified-Since (a 304 yields nothing; off with
// DisableConditionalRequests) and also skips a body whose version equals the
// last emitted one (off with EmitUnchanged). The REST source keeps no
// state that an Ack could advance, so acknowledgement does nothing; a Nack
// forgets the last version, so the next poll emits the resource again, and
// a restarted process starts with no version and emits it again
// (at-least-once).
type Connector struct {
	opts  Options
	cfg   integration.ConnectorConfig
	req   requestSpec
	pos   string // redacted URL, prefix of positions
	clock clock.Clock
	log   *slog.Logger
	base  *component.ConnectorBase

	mu          sync.Mutex
	client      *http.Client
	transport   http.RoundTripper
	stop        chan struct{}
	lastVersion string
	cond        conditional
	nacked      map[string]bool
}

var _ integration.Connector = (*Connector)(nil)

// New validates opts and returns a disconnected connector.
func New(opts Options) (*Connector, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	u, _ := opts.URL()
	cfg := opts.Config.WithDefaults()
	// Header values may be credentials: scrub them from errors and logs,
	// except those of headers that never carry one.
	secrets := make([]string, 0, len(opts.Headers))
	for k, v := range opts.Headers {
		switch http.CanonicalHeaderKey(k) {
		case "Accept", "Accept-Encoding", "Accept-Language", "Content-Type", "User-Agent", "Cache-Control":
		default:
			secrets = append(secrets, v)
		}
	}
	c := &Connector{opts: opts, cfg: cfg, pos: integration.RedactURL(u),
		req: requestSpec{method: opts.method(), url: u, headers: opts.Headers, body: opts.Body}}
	base, err := component.NewConnectorBase(opts.Config, component.Options{ID: opts.id(), Name: opts.Name,
		Kind: "rest", Logger: opts.Logger, Clock: opts.Clock, Registerer: opts.Registerer, Secrets: secrets})
	if err != nil {
		return nil, err
	}
	c.base, c.clock, c.log = base, base.Clock(), base.Logger()
	return c, nil
}

// ID returns the component identifier ("rest-" + endpoint unless overridden).
func (c *Connector) ID() string { return c.opts.id() }

// Kind returns "rest".
func (c *Connector) Kind() string { return "rest" }

// Connect creates the HTTP client; it does not contact the server. A second
// call while connected reuses the client.
func (c *Connector) Connect(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return nil
	}
	c.base.Connecting()
	tr := c.opts.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	c.transport = tr
	c.client = &http.Client{Transport: tr, CheckRedirect: c.checkRedirect}
	c.stop = make(chan struct{})
	c.base.Connected()
	return nil
}

func (c *Connector) checkRedirect(req *http.Request, via []*http.Request) error {
	if !c.opts.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return integration.Permanent(fmt.Errorf("stopped after %d redirects", maxRedirects))
	}
	if req.URL.Host != via[0].URL.Host {
		return http.ErrUseLastResponse // reported as a 3xx naming the other host
	}
	return nil
}

// Disconnect closes idle connections and ends an active Consume (which
// returns nil). It is idempotent.
func (c *Connector) Disconnect(context.Context) error {
	c.mu.Lock()
	if c.client != nil {
		close(c.stop)
		if ci, ok := c.transport.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
		c.client, c.transport = nil, nil
	}
	c.mu.Unlock()
	c.base.Disconnected()
	return nil
}

// Snapshot returns status, breaker and metrics.
func (c *Connector) Snapshot() integration.ComponentSnapshot { return c.base.Snapshot() }

// Consume polls at a fixed rate (first poll immediate; at least MinPollGap,
// or a failed poll's Retry-After, between the end of a poll and the start
// of the next) until ctx ends
// (ctx.Err()) or Disconnect is called (nil). Failed polls are counted in
// messages_failed and do not end the stream.
func (c *Connector) Consume(ctx context.Context, out chan<- *integration.Message) error {
	if err := c.base.CheckEnabled(); err != nil {
		return err
	}
	if err := c.Connect(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	client, stop := c.client, c.stop
	c.mu.Unlock()
	if client == nil {
		return nil
	}
	return poll.Run(ctx, c.clock, c.opts.pollInterval(), stop, func(ctx context.Context) bool {
		start := c.clock.Now()
		err := c.poll(ctx, client, out)
		c.keepGap(ctx, start, err)
		return false
	})
}

// keepGap waits out the whole gap when a poll that began at start ended so
// late that the fixed-rate schedule would start the next one sooner than
// the minimum gap (or a Retry-After on its failure) allows; the schedule
// then restarts from the next poll.
func (c *Connector) keepGap(ctx context.Context, start time.Time, err error) {
	gap := c.opts.minPollGap()
	if ra := min(integration.RetryAfterOf(err), c.cfg.MaxRetryDelay); ra > gap {
		gap = ra
	}
	if c.clock.Now().Add(gap).After(start.Add(c.opts.pollInterval())) {
		_ = clock.Sleep(ctx, c.clock, gap)
	}
}

// poll performs one poll and hands its messages to out. It returns the
// error of a failed request.
func (c *Connector) poll(ctx context.Context, client *http.Client, out chan<- *integration.Message) error {
	c.mu.Lock()
	cond := c.cond
	c.mu.Unlock()
	if c.opts.DisableConditionalRequests {
		cond = conditional{}
	}
	var f *fetched
	err := c.base.Do(ctx, "poll", func(actx context.Context) error {
		var err error
		f, err = c.fetchOnce(actx, client, cond)
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			c.base.Failed(err, "operation", "poll")
		}
		return err
	}
	if f.notModified {
		c.log.Debug("Resource not modified", "operation", "poll")
		return nil
	}
	c.mu.Lock()
	unchanged := !c.opts.EmitUnchanged && f.version == c.lastVersion
	c.mu.Unlock()
	if unchanged {
		c.log.Debug("Resource unchanged", "operation", "poll", "version", f.version)
		return nil
	}
	payloads, isArray, err := split(f.body)
	if err != nil {
		c.base.Failed(integration.Invalid(err), "operation", "poll")
		c.remember(f) // do not count the same bad body on every poll
		return nil
	}
	c.base.Metrics.BytesReceived.Add(int64(len(f.body)))
	for i, p := range payloads {
		pos := c.pos + "#" + f.version
		if isArray {
			pos += "/" + strconv.Itoa(i)
		}
		version := f.version
		msg := integration.NewMessage(c.ID(), pos, p, c.clock.Now().UTC(), func(_ context.Context, reason error) error {
			if reason != nil {
				c.forget(version)
			}
			return nil
		})
		msg.Metadata = map[string]string{"version": f.version}
		if isArray {
			msg.Metadata["index"] = strconv.Itoa(i)
		}
		// Counted before the hand-over: see kafka.Connector. An element that
		// is not a simulation input is still handed out, marked, so that the
		// pipeline dead-letters it.
		if _, bad := schema.DecodeInput(p, 0); bad != nil {
			msg.Metadata[integration.MetadataError] = bad.Error()
			c.base.Failed(bad, "position", pos)
		} else {
			c.base.Received(0, "position", pos)
		}
		select {
		case out <- msg:
		case <-ctx.Done():
			return nil
		}
	}
	c.remember(f)
	return nil
}

// fetchOnce is one attempt with the per-request deadline and classification.
func (c *Connector) fetchOnce(ctx context.Context, client *http.Client, cond conditional) (*fetched, error) {
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	f, err := doFetch(rctx, client, c.req, cond, c.cfg.MaxMessageBytes)
	if err == nil {
		return f, nil
	}
	var se *StatusError
	var be *BodyError
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case rctx.Err() != nil && errors.Is(rctx.Err(), context.DeadlineExceeded):
		return nil, integration.TimeoutError(c.cfg.Timeout)
	case errors.As(err, &se) && se.Temporary():
		return nil, integration.RetryAfter(err, se.RetryAfter)
	case errors.As(err, &se):
		return nil, integration.Permanent(err)
	case errors.As(err, &be):
		return nil, integration.Invalid(err)
	}
	return nil, err
}

// remember stores f as the last emitted version unless one of its messages
// was nacked meanwhile.
func (c *Connector) remember(f *fetched) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nacked[f.version] {
		delete(c.nacked, f.version)
		return
	}
	c.lastVersion = f.version
	c.cond = conditional{etag: f.etag, lastModified: f.lastModified}
}

// forget makes the next poll emit version again.
func (c *Connector) forget(version string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastVersion == version {
		c.lastVersion, c.cond = "", conditional{}
		return
	}
	if c.nacked == nil {
		c.nacked = map[string]bool{}
	}
	c.nacked[version] = true
}
