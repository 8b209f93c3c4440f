package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// ErrNoSubscribers is the (transient) failure of a PUBLISH that reached no
// subscriber when RequireSubscribers is set.
var ErrNoSubscribers = errors.New("redis: PUBLISH reached 0 subscribers (require_subscribers is set)")

// sender runs one PUBLISH or XADD per message.
type sender struct {
	opts    Options
	logURL  string
	timeout time.Duration

	mu     sync.Mutex
	client *goredis.Client

	zeroReceivers atomic.Int64
	lastReceivers atomic.Int64
}

// connect builds the client (once) and PINGs the server.
func (s *sender) connect(ctx context.Context) error {
	c, err := s.getClient()
	if err != nil {
		return err
	}
	actx, cancel := attemptContext(ctx, s.timeout)
	defer cancel()
	if err := c.Ping(actx).Err(); err != nil {
		return s.classify(ctx, actx, "PING", err)
	}
	return nil
}

func (s *sender) getClient() (*goredis.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	o, err := goredis.ParseURL(s.opts.URL)
	if err != nil {
		return nil, integration.Permanent(fmt.Errorf("redis: url %s: %s", s.logURL,
			integration.RedactError(err, s.opts.URL)))
	}
	// The publisher's retry loop is the only one (no stacked retries), and
	// the per-command deadline comes from the context.
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
	o.DialTimeout = s.timeout
	if s.opts.PoolSize > 0 {
		o.PoolSize = s.opts.PoolSize
	}
	s.client = goredis.NewClient(o)
	return s.client, nil
}

// send delivers one message.
func (s *sender) send(ctx context.Context, msg integration.Outgoing) error {
	if err := s.checkSize(msg); err != nil {
		return err
	}
	c, err := s.getClient()
	if err != nil {
		return err
	}
	actx, cancel := attemptContext(ctx, s.timeout)
	defer cancel()
	if s.opts.Mode == ModeStream {
		err := c.XAdd(actx, s.xaddArgs(msg)).Err()
		if err != nil {
			return s.classify(ctx, actx, "XADD", err)
		}
		return nil
	}
	n, err := c.Publish(actx, s.opts.Channel, msg.Body).Result()
	if err != nil {
		return s.classify(ctx, actx, "PUBLISH", err)
	}
	return s.receivers(n)
}

// sendBatch pipelines one PUBLISH or XADD per message in a single round
// trip and returns how many leading messages succeeded and, when not all,
// the error of the first one that did not. An oversized message ends the
// run before it.
func (s *sender) sendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	n, stop := len(msgs), error(nil)
	for i, m := range msgs {
		if err := s.checkSize(m); err != nil {
			n, stop = i, err
			break
		}
	}
	if n == 0 {
		return 0, stop
	}
	c, err := s.getClient()
	if err != nil {
		return 0, err
	}
	actx, cancel := attemptContext(ctx, s.timeout)
	defer cancel()
	pipe := c.Pipeline()
	cmds := make([]goredis.Cmder, n)
	for i, m := range msgs[:n] {
		if s.opts.Mode == ModeStream {
			cmds[i] = pipe.XAdd(actx, s.xaddArgs(m))
		} else {
			cmds[i] = pipe.Publish(actx, s.opts.Channel, m.Body)
		}
	}
	_, _ = pipe.Exec(actx) // per-command errors are inspected below
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return i, s.classify(ctx, actx, s.commandName(), err)
		}
		if pc, ok := cmd.(*goredis.IntCmd); ok {
			if err := s.receivers(pc.Val()); err != nil {
				return i, err
			}
		}
	}
	return n, stop
}

func (s *sender) commandName() string {
	if s.opts.Mode == ModeStream {
		return "XADD"
	}
	return "PUBLISH"
}

func (s *sender) checkSize(msg integration.Outgoing) error {
	if len(msg.Body) > s.opts.MaxBodyBytes {
		return integration.Invalid(fmt.Errorf("redis: body of %d bytes exceeds max_body_bytes (%d)",
			len(msg.Body), s.opts.MaxBodyBytes))
	}
	return nil
}

func (s *sender) xaddArgs(msg integration.Outgoing) *goredis.XAddArgs {
	values := make([]any, 0, 6)
	values = append(values, "payload", msg.Body)
	if msg.EventID != "" {
		values = append(values, "event_id", msg.EventID)
	}
	if msg.Key != "" {
		values = append(values, "key", msg.Key)
	}
	return &goredis.XAddArgs{Stream: s.opts.Channel, MaxLen: s.opts.StreamMaxLen,
		Approx: s.opts.StreamMaxLen > 0, Values: values}
}

// receivers records the subscriber count of a PUBLISH.
func (s *sender) receivers(n int64) error {
	s.lastReceivers.Store(n)
	if n > 0 {
		return nil
	}
	s.zeroReceivers.Add(1)
	if s.opts.RequireSubscribers {
		return ErrNoSubscribers
	}
	return nil
}

// classify maps a go-redis error to the contract's classes (§3.3).
func (s *sender) classify(ctx, actx context.Context, cmd string, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return integration.TimeoutError(s.timeout)
	}
	safe := integration.SafeToResend(err)
	wrapped := fmt.Errorf("redis: %s to %s: %s", cmd, s.logURL, integration.RedactError(err, s.opts.URL))
	var rerr goredis.Error
	if errors.As(err, &rerr) && !isTransientReply(rerr.Error()) {
		if strings.Contains(rerr.Error(), "proto-max-bulk-len") { // this message is too large
			return integration.Invalid(wrapped)
		}
		return integration.Permanent(wrapped)
	}
	if safe { // dial error, connection refused: nothing was sent
		return integration.NotSent(wrapped)
	}
	return integration.Temporary(wrapped)
}

// isTransientReply reports server replies that a retry can fix.
func isTransientReply(text string) bool {
	for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "OOM", "READONLY"} {
		if strings.HasPrefix(text, p) {
			return true
		}
	}
	return false
}

func (s *sender) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	err := s.client.Close()
	s.client = nil
	return err
}

// attemptContext bounds one attempt by timeout unless the caller (the
// publisher's retry loop) already set a deadline.
func attemptContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}
