package manifest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka"
)

func buildKafkaConnector(c *v1alpha1.Connector, env Env) (integration.Connector, error) {
	spec := c.Spec.Kafka
	if spec == nil {
		return nil, fmt.Errorf("spec.kafka: %w", errMissingSection)
	}
	cfg, err := ConnectorConfig(&c.Spec)
	if err != nil {
		return nil, err
	}
	o := kafka.ConnectorOptions{Name: c.Name, BootstrapServers: kafka.Servers(spec.BootstrapServers), Topic: spec.Topic,
		GroupID: spec.GroupID, AutoOffsetReset: spec.AutoOffsetReset, Config: cfg, Logger: env.Logger, Registerer: env.Registerer}
	if spec.EnableAutoCommit != nil {
		o.EnableAutoCommit = *spec.EnableAutoCommit
	}
	if spec.CommitInterval != nil {
		o.CommitInterval = spec.CommitInterval.Duration
	}
	if spec.SessionTimeout != nil {
		o.SessionTimeout = spec.SessionTimeout.Duration
	}
	if spec.HeartbeatInterval != nil {
		o.HeartbeatInterval = spec.HeartbeatInterval.Duration
	}
	if spec.RebalanceTimeout != nil {
		o.RebalanceTimeout = spec.RebalanceTimeout.Duration
	}
	if o.SASL, err = kafkaSASL(spec.SASL, "spec.kafka.sasl", env.Secrets); err != nil {
		return nil, err
	}
	if o.TLS, err = tlsConfig(spec.TLS, "spec.kafka.tls", env.Secrets); err != nil {
		return nil, err
	}
	return kafka.NewConnector(o)
}

func kafkaSASL(s *v1alpha1.KafkaSASL, field string, secrets SecretResolver) (*kafka.SASL, error) {
	if s == nil {
		return nil, nil
	}
	pw, err := secrets.Secret(s.PasswordSecretRef)
	if err != nil {
		return nil, fmt.Errorf("%s.passwordSecretRef: %w", field, err)
	}
	return &kafka.SASL{Mechanism: string(s.Mechanism), Username: s.Username, Password: pw}, nil
}

// tlsConfig builds a client TLS configuration from Secret-held PEM data.
func tlsConfig(t *v1alpha1.TLSConfig, field string, secrets SecretResolver) (*tls.Config, error) {
	if t == nil || (t.Enabled != nil && !*t.Enabled) {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in for test clusters, documented on the CRD
	ca, err := secretValue(t.CASecretRef, field+".caSecretRef", secrets)
	if err != nil {
		return nil, err
	}
	if ca != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(ca)) {
			return nil, fmt.Errorf("%s.caSecretRef: no PEM certificate found", field)
		}
		cfg.RootCAs = pool
	}
	cert, err := secretValue(t.CertSecretRef, field+".certSecretRef", secrets)
	if err != nil {
		return nil, err
	}
	key, err := secretValue(t.KeySecretRef, field+".keySecretRef", secrets)
	if err != nil {
		return nil, err
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s: certSecretRef and keySecretRef must be given together", field)
	}
	if cert != "" {
		pair, err := tls.X509KeyPair([]byte(cert), []byte(key))
		if err != nil {
			return nil, fmt.Errorf("%s: client certificate: %w", field, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
