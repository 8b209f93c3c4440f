package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	base := errors.New("boom")
	live := t.Context()
	done, cancel := context.WithCancel(t.Context())
	cancel()
	cases := []struct {
		name      string
		ctx       context.Context
		err       error
		class     Class
		retryable bool
		breaker   bool
	}{
		{"plain", live, base, ClassTransient, true, true},
		{"temporary", live, Temporary(base), ClassTransient, true, true},
		{"permanent", live, Permanent(base), ClassPermanent, false, true},
		{"wrapped permanent", live, fmt.Errorf("send: %w", Permanent(base)), ClassPermanent, false, true},
		{"invalid", live, Invalid(base), ClassInvalid, false, false},
		{"decode", live, DecodeError(base), ClassInvalid, false, false},
		{"canceled", live, context.Canceled, ClassCancelled, false, false},
		{"caller ctx done", done, base, ClassCancelled, true, false},
		{"attempt deadline", live, context.DeadlineExceeded, ClassTransient, true, true},
		{"timeout", live, TimeoutError(30 * time.Second), ClassTransient, true, true},
	}
	for _, c := range cases {
		if got := Classify(c.ctx, c.err); got != c.class {
			t.Errorf("%s: class %v, want %v", c.name, got, c.class)
		}
		if got := IsRetryable(c.err); got != c.retryable {
			t.Errorf("%s: IsRetryable %v, want %v", c.name, got, c.retryable)
		}
		if got := CountsForBreaker(c.ctx, c.err); got != c.breaker {
			t.Errorf("%s: CountsForBreaker %v, want %v", c.name, got, c.breaker)
		}
	}
	if IsRetryable(nil) || IsPermanent(nil) {
		t.Fatal("nil is neither retryable nor permanent")
	}
	if Permanent(nil) != nil || Temporary(nil) != nil || Invalid(nil) != nil || RetryAfter(nil, time.Second) != nil {
		t.Fatal("wrapping nil must give nil")
	}
	if !errors.Is(Permanent(base), base) || Permanent(base).Error() != "boom" {
		t.Fatal("wrappers must keep the text and the chain")
	}
	if RetryAfterOf(fmt.Errorf("x: %w", RetryAfter(base, 7*time.Second))) != 7*time.Second || RetryAfterOf(base) != 0 {
		t.Fatal("RetryAfterOf")
	}
}

func TestSafeToResend(t *testing.T) {
	base := errors.New("boom")
	cases := map[string]struct {
		err  error
		want bool
	}{
		"plain":        {base, false},
		"not sent":     {fmt.Errorf("x: %w", NotSent(base)), true},
		"dial":         {&net.OpError{Op: "dial", Err: base}, true},
		"read":         {&net.OpError{Op: "read", Err: base}, false},
		"refused":      {fmt.Errorf("post: %w", syscall.ECONNREFUSED), true},
		"dns":          {&net.DNSError{Err: "no such host", Name: "x"}, true},
		"permanent":    {Permanent(&net.OpError{Op: "dial", Err: base}), false},
		"not sent nil": {NotSent(nil), false},
	}
	for name, c := range cases {
		if got := SafeToResend(c.err); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

func TestErrorTexts(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:        "Connection timeout after 30.0s",
		60 * time.Second:        "Connection timeout after 60.0s",
		2500 * time.Millisecond: "Connection timeout after 2.5s",
	} {
		if got := TimeoutError(d).Error(); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
	if got := DecodeError(errors.New("unexpected end of JSON input")).Error(); got != "JSON decode error: unexpected end of JSON input" {
		t.Fatal(got)
	}
	if ErrConnectorDisabled.Error() != "Connector is disabled" || ErrPublisherDisabled.Error() != "Publisher is disabled" {
		t.Fatal("disabled texts")
	}
	for _, c := range []Class{ClassTransient, ClassPermanent, ClassInvalid, ClassCancelled} {
		if c.String() == "" || strings.Contains(c.String(), "Class") {
			t.Fatal(c)
		}
	}
}

func TestRedact(t *testing.T) {
	urls := map[string]string{
		"amqp://user:s3cret@rabbit:5672/vhost":                    "amqp://rabbit:5672/vhost",
		"redis://:pw@redis:6379/0":                                "redis://redis:6379/0",
		"https://api.example.com/webhooks/mfn?token=abc&x=1#frag": "https://api.example.com/webhooks/mfn",
		"https://api.example.com/webhooks/mfn":                    "https://api.example.com/webhooks/mfn",
	}
	for in, want := range urls {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	texts := []struct{ in, leak string }{
		{`dial amqp://guest:hunter2@10.0.0.1:5672/: connection refused`, "hunter2"},
		{`Post "https://hooks.example.com/x?sig=TOPSECRET": EOF`, "TOPSECRET"},
		{`postgres: password=pa55 host=db`, "pa55"},
		{`header Authorization: Bearer eyJhbGciOi.xyz rejected`, "eyJhbGciOi"},
		{`api_key: k-123 invalid`, "k-123"},
	}
	for _, c := range texts {
		got := Redact(c.in)
		if strings.Contains(got, c.leak) {
			t.Errorf("Redact(%q) = %q leaks %q", c.in, got, c.leak)
		}
	}
	if got := Redact("secret value is xyzzy here", "xyzzy"); got != "secret value is [REDACTED] here" {
		t.Fatal(got)
	}
	if got := Redact("dial tcp 127.0.0.1:6379: connection refused"); got != "dial tcp 127.0.0.1:6379: connection refused" {
		t.Fatalf("harmless text changed: %q", got)
	}
	if RedactError(nil) != "" {
		t.Fatal("nil error")
	}
}
