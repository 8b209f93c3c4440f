package webhook

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/mfn-io/mfn-operator/pkg/integration/faultproxy"
	"github.com/mfn-io/mfn-operator/pkg/integration/internal/pubtest"
)

// handlerSwitch makes the receiver answer 503 while cut.
type handlerSwitch struct{ down atomic.Bool }

func (h *handlerSwitch) Cut()     { h.down.Store(true) }
func (h *handlerSwitch) Restore() { h.down.Store(false) }

// 5 000 messages with a 5 s outage (the receiver answers 503) in the
// middle: nothing lost, the breaker walks open → half-open → closed.
func TestOutageServiceUnavailable(t *testing.T) {
	pubtest.SkipIfShort(t)
	rc := newReceiver(t, nil)
	sw := &handlerSwitch{}
	var refused atomic.Int64
	rc.setRespond(func(int64, *http.Request) (int, http.Header) {
		if sw.down.Load() {
			refused.Add(1)
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	logger, logs := pubtest.NewLogger()
	p, err := New(Options{URL: rc.srv.URL, AllowInsecureHTTP: true, SecretKey: testSecret,
		Config: pubtest.OutageConfig(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
	pubtest.RunOutage(t, pubtest.Outage{Publisher: p, Logs: logs, Fault: sw,
		Delivered: func(*testing.T) *pubtest.Tally { return rc.tally }})
	// Every 503 the receiver served is exactly one failed attempt.
	if got, want := p.Snapshot().Publisher.RetryCount, refused.Load(); got != want {
		t.Errorf("retry_count %d, receiver refused %d requests", got, want)
	}
	if _, dups := rc.tally.Counts(); dups != 0 {
		t.Errorf("%d duplicates although every refused request was refused before processing", dups)
	}
}

// The same outage as a TCP cut: the receiver sits behind a fault proxy
// that closes every connection and refuses new ones for 5 s.
func TestOutageConnectionCut(t *testing.T) { testOutageProxy(t, false) }

// The same with a network partition: requests time out (ambiguous outcome).
func TestOutageBlackhole(t *testing.T) { testOutageProxy(t, true) }

func testOutageProxy(t *testing.T, partition bool) {
	pubtest.SkipIfShort(t)
	rc := newReceiver(t, nil)
	proxy := faultproxy.New(t, rc.srv.Listener.Addr().String())
	logger, logs := pubtest.NewLogger()
	p, err := New(Options{URL: "http://" + proxy.Addr() + "/hook", AllowInsecureHTTP: true, SecretKey: testSecret,
		Config: pubtest.OutageConfig(), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Disconnect(t.Context()) })
	var fault pubtest.Fault = proxy
	if partition {
		fault = pubtest.AsBlackhole(proxy)
	}
	pubtest.RunOutage(t, pubtest.Outage{Publisher: p, Logs: logs, Fault: fault,
		Delivered: func(*testing.T) *pubtest.Tally { return rc.tally }})
}
