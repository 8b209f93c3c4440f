package kafka

import (
	"cmp"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/clock"
)

// Connector defaults (INTEGRATION.md §7.1).
const (
	OffsetEarliest        = "earliest"
	OffsetLatest          = "latest"
	DefaultCommitInterval = 5 * time.Second

	// Consumer-group timings: the defaults, and the bounds of a broker
	// with Kafka's default group.min/max.session.timeout.ms.
	DefaultSessionTimeout    = 30 * time.Second
	DefaultRebalanceTimeout  = 30 * time.Second
	DefaultHeartbeatInterval = 3 * time.Second
	MinSessionTimeout        = 6 * time.Second
	MaxGroupTimeout          = 30 * time.Minute
)

// Servers is a list of bootstrap brokers. It unmarshals from a JSON string
// ("kafka1:9092, kafka2:9092") or a JSON list; entries are split on commas
// and trimmed.
type Servers []string

// ParseServers splits a comma-separated broker list, trimming spaces and
// dropping empty entries.
func ParseServers(s string) Servers {
	var out Servers
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// UnmarshalJSON accepts a string or a list of strings.
func (s *Servers) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = ParseServers(one)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("bootstrap_servers: want a string or a list of strings: %w", err)
	}
	*s = ParseServers(strings.Join(list, ","))
	return nil
}

// normalized re-splits every entry, so Servers{"a:1, b:2"} also works.
func (s Servers) normalized() []string { return ParseServers(strings.Join(s, ",")) }

// validate checks that the list is not empty and every entry is host:port
// (shared by the connector and the publisher options).
func (s Servers) validate() []error {
	var errs []error
	servers := s.normalized()
	if len(servers) == 0 {
		errs = append(errs, &integration.FieldError{Field: "bootstrap_servers", Value: strings.Join(s, ","),
			Rule: "is required: a comma-separated host:port list"})
	}
	for _, srv := range servers {
		host, port, err := net.SplitHostPort(srv)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			errs = append(errs, &integration.FieldError{Field: "bootstrap_servers", Value: srv,
				Rule: "each entry must be host:port with a port in 1…65535"})
		}
	}
	return errs
}

// SASL configures SASL authentication. Password is filled from a Secret by
// the manifest layer and never logged.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string
	Username  string
	Password  string
}

// validate checks the mechanism and that a user name is set (nil or an
// empty mechanism means no SASL).
func (s *SASL) validate() []error {
	if s == nil || s.Mechanism == "" {
		return nil
	}
	var errs []error
	if _, err := s.mechanism(); err != nil {
		errs = append(errs, err)
	}
	if s.Username == "" {
		errs = append(errs, &integration.FieldError{Field: "sasl.username", Value: "", Rule: "is required with a SASL mechanism"})
	}
	return errs
}

func (s *SASL) mechanism() (sasl.Mechanism, error) {
	if s == nil || s.Mechanism == "" {
		return nil, nil
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, s.Username, s.Password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, s.Username, s.Password)
	}
	return nil, fmt.Errorf("sasl.mechanism = %q: must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}

// ConnectorOptions configure a Kafka consumer-group connector. Zero values
// mean the documented defaults.
type ConnectorOptions struct {
	// ID overrides the component identifier (default "kafka-" + Topic).
	ID string
	// Name is the configured name (the CR name); default ID.
	Name string
	// BootstrapServers lists host:port brokers (required).
	BootstrapServers Servers
	// Topic is the one topic consumed (required).
	Topic string
	// GroupID is the consumer group (required); offsets are committed under it.
	GroupID string
	// AutoOffsetReset is where a group without a committed offset starts:
	// earliest (default) or latest.
	AutoOffsetReset string
	// EnableAutoCommit commits every record as soon as it is handed out,
	// before it is processed (R66 parity, at-most-once on a crash). The
	// default false commits only acknowledged records.
	EnableAutoCommit bool
	// CommitInterval is the period of offset commits (default 5 s). Offsets
	// are also committed when partitions are revoked and on Disconnect.
	CommitInterval time.Duration
	// SASL enables SASL authentication when Mechanism is set.
	SASL *SASL
	// TLS enables TLS with this configuration when not nil.
	TLS *tls.Config
	// SessionTimeout is how long the coordinator waits for a heartbeat
	// before it hands a silent member's partitions to the others (6 s …
	// 30 min, Kafka's default broker bounds; default 30 s).
	SessionTimeout time.Duration
	// RebalanceTimeout is how long the coordinator waits for every member
	// to rejoin during a rebalance (1 s … 30 min; default 30 s).
	RebalanceTimeout time.Duration
	// HeartbeatInterval is the heartbeat period (greater than 0 and less
	// than the session timeout; default 3 s).
	HeartbeatInterval time.Duration
	// Config holds retries, breaker, timeout and max_message_bytes.
	Config integration.ConnectorConfig
	// Clock times retries and the breaker (default real time).
	Clock clock.Clock
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Registerer receives the Prometheus collectors (nil: no export).
	Registerer prometheus.Registerer
}

func (o *ConnectorOptions) id() string {
	if o.ID != "" {
		return o.ID
	}
	return "kafka-" + o.Topic
}

func (o *ConnectorOptions) commitInterval() time.Duration {
	if o.CommitInterval == 0 {
		return DefaultCommitInterval
	}
	return o.CommitInterval
}

// startOffset maps auto_offset_reset to the client's constants.
func (o *ConnectorOptions) startOffset() int64 {
	if o.AutoOffsetReset == OffsetLatest {
		return kafkago.LastOffset
	}
	return kafkago.FirstOffset
}

// Validate names the first field that is missing or out of range.
func (o *ConnectorOptions) Validate() error {
	var errs []error
	field := func(name string, value any, rule string) {
		errs = append(errs, &integration.FieldError{Field: name, Value: value, Rule: rule})
	}
	errs = append(errs, o.BootstrapServers.validate()...)
	if strings.TrimSpace(o.Topic) == "" {
		field("topic", o.Topic, "is required")
	}
	if strings.TrimSpace(o.GroupID) == "" {
		field("group_id", o.GroupID, "is required")
	}
	switch o.AutoOffsetReset {
	case "", OffsetEarliest, OffsetLatest:
	default:
		field("auto_offset_reset", o.AutoOffsetReset, "must be earliest or latest")
	}
	if o.CommitInterval < 0 {
		field("commit_interval", o.CommitInterval, "must be > 0")
	}
	errs = append(errs, o.SASL.validate()...)
	sessionOK := o.SessionTimeout == 0 || (o.SessionTimeout >= MinSessionTimeout && o.SessionTimeout <= MaxGroupTimeout)
	if !sessionOK {
		field("session_timeout", o.SessionTimeout, "must be between 6s and 30m")
	}
	if d := o.RebalanceTimeout; d != 0 && (d < time.Second || d > MaxGroupTimeout) {
		field("rebalance_timeout", d, "must be between 1s and 30m")
	}
	switch session, hb := cmp.Or(o.SessionTimeout, DefaultSessionTimeout), cmp.Or(o.HeartbeatInterval, DefaultHeartbeatInterval); {
	case o.HeartbeatInterval < 0:
		field("heartbeat_interval", o.HeartbeatInterval, "must be > 0")
	case sessionOK && hb >= session:
		field("heartbeat_interval", hb, fmt.Sprintf("must be less than session_timeout (%v)", session))
	}
	errs = append(errs, o.Config.Validate())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid kafka connector options: %w", err)
	}
	return nil
}
