package manifest

import (
	"strings"
	"testing"
)

const componentsYAML = `
apiVersion: mfn.mycelium.io/v1alpha1
kind: MFNPipeline
metadata: {name: all}
spec:
  connectorRef: {name: in}
  publisherRefs: [{name: hook}, {name: redis}, {name: rabbit}, {name: kafka-out}]
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Connector
metadata: {name: in}
spec:
  type: kafka
  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: params, groupId: g}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: hook}
spec:
  type: webhook
  webhook:
    url: http://127.0.0.1:9/hook
    allowInsecureHTTP: true
    signingSecretRefs: [{name: creds, key: hmac}]
    headersFrom: [{name: Authorization, valueSecretRef: {name: creds, key: token}}]
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: redis}
spec:
  type: redis
  redis: {url: "redis://127.0.0.1:6379/0", passwordSecretRef: {name: creds, key: redis}, channel: "mfn:results", mode: stream}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: rabbit}
spec:
  type: rabbitmq
  rabbitmq: {url: "amqp://127.0.0.1:5672/", username: guest, passwordSecretRef: {name: creds, key: amqp}, exchange: mfn, routingKey: r}
---
apiVersion: mfn.mycelium.io/v1alpha1
kind: Publisher
metadata: {name: kafka-out}
spec:
  type: kafka
  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: results}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {hmac: k, token: Bearer t, redis: pw, amqp: guest}
`

func TestBuildEveryComponentType(t *testing.T) {
	s := NewSet()
	if err := s.Add([]byte(componentsYAML), "all.yaml"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Resolve("all")
	if err != nil {
		t.Fatal(err)
	}
	b, err := DefaultRegistry().Build(r, Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if b.Connector.Kind() != "kafka" || b.Connector.Name != "in" {
		t.Errorf("connector %s %s", b.Connector.Kind(), b.Connector.Name)
	}
	kinds := []string{"webhook", "redis", "rabbitmq", "kafka"}
	for i, p := range b.Publishers {
		if p.Kind() != kinds[i] {
			t.Errorf("publisher %d kind %s, want %s", i, p.Kind(), kinds[i])
		}
		if strings.Contains(p.ID(), "pw") || strings.Contains(p.ID(), "guest:guest") {
			t.Errorf("publisher id %q leaks a credential", p.ID())
		}
	}
	// Without the Secret every reference names its field.
	delete(s.Secrets, "creds")
	_, err = DefaultRegistry().Build(r, Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
	if err == nil || !strings.Contains(err.Error(), `Publisher "hook": spec.webhook.signingSecretRefs[0]: Secret "creds" not found`) {
		t.Errorf("missing secret: %v", err)
	}
}

func TestBuildRejectsUnsupportedAndIncompleteSpecs(t *testing.T) {
	s := NewSet()
	y := strings.Replace(componentsYAML, "  kafka: {bootstrapServers: [\"127.0.0.1:9092\"], topic: params, groupId: g}\n", "", 1)
	if err := s.Add([]byte(y), "all.yaml"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Resolve("all")
	if err != nil {
		t.Fatal(err)
	}
	_, err = DefaultRegistry().Build(r, Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
	if err == nil || !strings.Contains(err.Error(), `Connector "in": spec.kafka: section is required`) {
		t.Errorf("missing section: %v", err)
	}
	reg := DefaultRegistry()
	delete(reg.Connectors, "kafka")
	_, err = reg.Build(r, Env{Secrets: LocalSecrets(s.Secrets)})
	if err == nil || !strings.Contains(err.Error(), `spec.type "kafka" is not supported`) {
		t.Errorf("unsupported type: %v", err)
	}
}

// TestBuildKafkaGroupTimings: the consumer-group timings of the Connector
// reach the Kafka connector, whose own checks name the field and bound
// when `mfn run` loads a manifest that no API server validated.
func TestBuildKafkaGroupTimings(t *testing.T) {
	const def = `  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: params, groupId: g}` + "\n"
	cases := []struct {
		name, kafka, want string
	}{
		{"tuned", `  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: params, groupId: g, sessionTimeout: 6s, heartbeatInterval: 1s, rebalanceTimeout: 10s}`, ""},
		{"session below the broker minimum", `  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: params, groupId: g, sessionTimeout: 2s}`, "session_timeout = 2s: must be between 6s and 30m"},
		{"rebalance below 1s", `  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: params, groupId: g, rebalanceTimeout: 100ms}`, "rebalance_timeout = 100ms: must be between 1s and 30m"},
		{"heartbeat not below the session", `  kafka: {bootstrapServers: ["127.0.0.1:9092"], topic: params, groupId: g, sessionTimeout: 10s, heartbeatInterval: 10s}`, "heartbeat_interval = 10s: must be less than session_timeout (10s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := loadSet(t, strings.Replace(componentsYAML, def, tc.kafka+"\n", 1))
			r, err := s.Resolve("all")
			if err != nil {
				t.Fatal(err)
			}
			_, err = DefaultRegistry().Build(r, Env{Secrets: LocalSecrets(s.Secrets), Logger: quiet()})
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid timings rejected: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Build() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
