package rabbitmq

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// ErrUnroutable is the permanent failure of a message the broker returned
// (basic.return) because no queue is bound for its routing key.
var ErrUnroutable = errors.New("rabbitmq: message returned unroutable")

// ErrNacked is the transient failure of a message the broker refused to
// confirm (basic.nack).
var ErrNacked = errors.New("rabbitmq: broker nacked the message")

// returnsBuffer must hold every return that can arrive before the confirms
// being waited for: it is also the largest chunk published before waiting.
const returnsBuffer = 256

// session is one AMQP connection with a confirming channel.
type session struct {
	conn    *amqp.Connection
	ch      *amqp.Channel
	returns chan amqp.Return
	closed  chan *amqp.Error
}

func (s *session) broken() bool {
	select {
	case <-s.closed:
		return true
	default:
		return s.conn.IsClosed()
	}
}

// closeTimeout bounds the wait for the broker's close-ok: a partitioned
// broker never answers.
const closeTimeout = 2 * time.Second

func (s *session) close() error {
	err := s.conn.CloseDeadline(time.Now().Add(closeTimeout))
	if errors.Is(err, amqp.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}

// sender publishes one message at a time with mandatory set and waits for
// the broker's confirm. A lost connection is re-dialled on the next send.
type sender struct {
	opts    Options
	logURL  string
	timeout time.Duration
	now     func() time.Time

	mu   sync.Mutex
	sess *session

	gzPool sync.Pool
}

// connect dials and declares the topology once; calling it again while the
// session is healthy is a no-op.
func (s *sender) connect(ctx context.Context) error {
	_, err := s.session(ctx)
	return err
}

// session returns the live session, dialling a new one when needed.
func (s *sender) session(ctx context.Context) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil && !s.sess.broken() {
		return s.sess, nil
	}
	if s.sess != nil {
		old := s.sess
		s.sess = nil
		go func() { _ = old.close() }()
	}
	sess, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	s.sess = sess
	return sess, nil
}

func (s *sender) dial(ctx context.Context) (*session, error) {
	actx, cancel := attemptContext(ctx, s.timeout)
	defer cancel()
	cfg := amqp.Config{Properties: amqp.NewConnectionProperties(), Heartbeat: 10 * time.Second,
		Dial: amqp.DefaultDial(s.timeout)}
	cfg.Properties.SetClientConnectionName(s.opts.ID)
	conn, err := amqp.DialConfig(s.opts.URL, cfg)
	if err != nil {
		return nil, s.classify(ctx, actx, "dial", err, true)
	}
	sess := &session{conn: conn}
	if err := s.setup(sess); err != nil {
		_ = conn.Close()
		return nil, s.classify(ctx, actx, "declare", err, true)
	}
	return sess, nil
}

// setup opens the confirming channel and declares the exchange (and the
// optional queue with its binding).
func (s *sender) setup(sess *session) error {
	ch, err := sess.conn.Channel()
	if err != nil {
		return err
	}
	sess.ch = ch
	if err := ch.Confirm(false); err != nil {
		return err
	}
	sess.returns = ch.NotifyReturn(make(chan amqp.Return, returnsBuffer))
	sess.closed = ch.NotifyClose(make(chan *amqp.Error, 1))
	o := s.opts
	if err := ch.ExchangeDeclare(o.Exchange, o.ExchangeType, true, false, false, false, nil); err != nil {
		return err
	}
	if o.DeclareQueue == "" {
		return nil
	}
	if _, err := ch.QueueDeclare(o.DeclareQueue, true, false, false, false, nil); err != nil {
		return err
	}
	return ch.QueueBind(o.DeclareQueue, o.BindingKey, o.Exchange, false, nil)
}

// send publishes msg and waits for its confirm.
func (s *sender) send(ctx context.Context, msg integration.Outgoing) error {
	_, err := s.sendBatch(ctx, []integration.Outgoing{msg})
	return err
}

// sendBatch publishes msgs in order, in chunks of at most returnsBuffer,
// and waits for the confirms of each chunk before the next (pipelining).
// It returns how many leading messages were confirmed and, when not all,
// the error of the first one that was not. An oversized message ends the
// run before it.
func (s *sender) sendBatch(ctx context.Context, msgs []integration.Outgoing) (int, error) {
	n, stop := len(msgs), error(nil)
	for i, m := range msgs {
		if len(m.Body) > s.opts.MaxBodyBytes {
			n, stop = i, integration.Invalid(fmt.Errorf("rabbitmq: body of %d bytes exceeds max_body_bytes (%d)",
				len(m.Body), s.opts.MaxBodyBytes))
			break
		}
	}
	if n == 0 {
		return 0, stop
	}
	sess, err := s.session(ctx)
	if err != nil {
		return 0, err
	}
	actx, cancel := attemptContext(ctx, s.timeout)
	defer cancel()
	for done := 0; done < n; {
		k, err := s.publishChunk(ctx, actx, sess, msgs[done:min(done+returnsBuffer, n)])
		done += k
		if err != nil {
			return done, err
		}
	}
	return n, stop
}

// publishChunk publishes every message of chunk, then waits for their
// confirms, then checks the returns that arrived before them.
func (s *sender) publishChunk(ctx, actx context.Context, sess *session, chunk []integration.Outgoing) (int, error) {
	dcs := make([]*amqp.DeferredConfirmation, 0, len(chunk))
	ids := make([]string, 0, len(chunk))
	var pubErr error
	for _, m := range chunk {
		pub, err := s.publishing(m)
		if err != nil {
			pubErr = integration.Invalid(err)
			break
		}
		dc, err := sess.ch.PublishWithDeferredConfirmWithContext(actx, s.opts.Exchange, s.opts.RoutingKey,
			true, false, pub)
		if err != nil {
			s.drop(sess)
			// The frame was not written: resending cannot duplicate it.
			pubErr = s.classify(ctx, actx, "publish", err, true)
			break
		}
		dcs, ids = append(dcs, dc), append(ids, pub.MessageId)
	}
	acked := make([]bool, 0, len(dcs))
	var waitErr error
	for _, dc := range dcs {
		ok, err := dc.WaitContext(actx)
		if err != nil {
			s.drop(sess)
			waitErr = s.classify(ctx, actx, "confirm", err, false)
			break
		}
		acked = append(acked, ok)
	}
	returned := takeReturns(sess.returns)
	for i, ok := range acked {
		if ret, isReturned := returned[ids[i]]; isReturned {
			return i, integration.Permanent(fmt.Errorf("%w: exchange %q routing key %q: %d %s",
				ErrUnroutable, ret.Exchange, ret.RoutingKey, ret.ReplyCode, ret.ReplyText))
		}
		if !ok {
			if sess.broken() {
				s.drop(sess)
				return i, integration.Temporary(fmt.Errorf("rabbitmq: connection to %s lost before the confirm", s.logURL))
			}
			return i, integration.Temporary(ErrNacked)
		}
	}
	switch {
	case waitErr != nil:
		return len(acked), waitErr
	case pubErr != nil:
		return len(dcs), pubErr
	}
	return len(chunk), nil
}

// takeReturns drains the returns that arrived before the confirms (the
// broker sends basic.return before basic.ack, and the client delivers both
// in order), by message id.
func takeReturns(returns <-chan amqp.Return) map[string]amqp.Return {
	var out map[string]amqp.Return
	for {
		select {
		case r, open := <-returns:
			if !open { // the channel was closed with the connection
				return out
			}
			if out == nil {
				out = map[string]amqp.Return{}
			}
			out[r.MessageId] = r
		default:
			return out
		}
	}
}

func (s *sender) publishing(msg integration.Outgoing) (amqp.Publishing, error) {
	pub := amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		MessageId:    msg.EventID,
		Timestamp:    s.now().UTC(),
		AppId:        "mfn",
		Body:         msg.Body,
	}
	if msg.Key != "" {
		pub.Headers = amqp.Table{"simulation_id": msg.Key}
	}
	if !s.opts.Config.EnableCompression {
		return pub, nil
	}
	var buf bytes.Buffer
	zw, _ := s.gzPool.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(&buf)
	} else {
		zw.Reset(&buf)
	}
	defer s.gzPool.Put(zw)
	if _, err := zw.Write(msg.Body); err != nil {
		return pub, fmt.Errorf("rabbitmq: gzip body: %w", err)
	}
	if err := zw.Close(); err != nil {
		return pub, fmt.Errorf("rabbitmq: gzip body: %w", err)
	}
	pub.Body = buf.Bytes()
	pub.ContentEncoding = "gzip"
	return pub, nil
}

// drop forgets a session after a failure so the next send re-dials. The
// old connection is closed in the background (bounded by closeTimeout).
func (s *sender) drop(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == sess {
		s.sess = nil
		go func() { _ = sess.close() }()
	}
}

// classify maps an amqp091 error to the contract's classes (§3.3). notSent
// says the failure certainly happened before any message was written.
func (s *sender) classify(ctx, actx context.Context, op string, err error, notSent bool) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return integration.TimeoutError(s.timeout)
	}
	wrapped := fmt.Errorf("rabbitmq: %s %s: %s", op, s.logURL, integration.RedactError(err, s.opts.URL))
	var aerr *amqp.Error
	if errors.As(err, &aerr) {
		switch aerr.Code {
		case amqp.AccessRefused, amqp.NotFound, amqp.PreconditionFailed, amqp.NotAllowed,
			amqp.CommandInvalid, amqp.SyntaxError, amqp.NotImplemented:
			return integration.Permanent(wrapped)
		}
	}
	if notSent || integration.SafeToResend(err) {
		return integration.NotSent(wrapped)
	}
	return integration.Temporary(wrapped)
}

func (s *sender) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.close()
	s.sess = nil
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
