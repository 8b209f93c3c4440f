package manifest

import (
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/kafka"
	"github.com/mfn-io/mfn-operator/pkg/integration/rabbitmq"
	"github.com/mfn-io/mfn-operator/pkg/integration/redis"
	"github.com/mfn-io/mfn-operator/pkg/integration/webhook"
)

func buildKafkaPublisher(p *v1alpha1.Publisher, env Env) (integration.Publisher, error) {
	spec := p.Spec.Kafka
	if spec == nil {
		return nil, fmt.Errorf("spec.kafka: %w", errMissingSection)
	}
	cfg, err := PublisherConfig(&p.Spec)
	if err != nil {
		return nil, err
	}
	o := kafka.PublisherOptions{Name: p.Name, BootstrapServers: kafka.Servers(spec.BootstrapServers), Topic: spec.Topic,
		Config: cfg, Logger: env.Logger, Registerer: env.Registerer}
	if o.SASL, err = kafkaSASL(spec.SASL, "spec.kafka.sasl", env.Secrets); err != nil {
		return nil, err
	}
	if o.TLS, err = tlsConfig(spec.TLS, "spec.kafka.tls", env.Secrets); err != nil {
		return nil, err
	}
	return kafka.NewPublisher(o)
}

func buildWebhookPublisher(p *v1alpha1.Publisher, env Env) (integration.Publisher, error) {
	spec := p.Spec.Webhook
	if spec == nil {
		return nil, fmt.Errorf("spec.webhook: %w", errMissingSection)
	}
	cfg, err := PublisherConfig(&p.Spec)
	if err != nil {
		return nil, err
	}
	u, err := urlFrom(spec.URL, spec.URLSecretRef, "spec.webhook", env.Secrets)
	if err != nil {
		return nil, err
	}
	var keys []string
	for i, ref := range spec.SigningSecretRefs {
		k, err := env.Secrets.Secret(ref)
		if err != nil {
			return nil, fmt.Errorf("spec.webhook.signingSecretRefs[%d]: %w", i, err)
		}
		if k != "" {
			keys = append(keys, k)
		}
	}
	headers, err := secretHeaders(spec.Headers, spec.HeadersFrom, "spec.webhook.headersFrom", env.Secrets)
	if err != nil {
		return nil, err
	}
	o := webhook.Options{Name: p.Name, URL: u, AllowInsecureHTTP: spec.AllowInsecureHTTP, Headers: headers,
		SignatureVersion: string(spec.SignatureVersion), Config: cfg, Logger: env.Logger, Registerer: env.Registerer}
	if len(keys) > 0 {
		o.SecretKey, o.SecretKeys = keys[0], keys[1:]
	}
	return webhook.New(o)
}

func buildRedisPublisher(p *v1alpha1.Publisher, env Env) (integration.Publisher, error) {
	spec := p.Spec.Redis
	if spec == nil {
		return nil, fmt.Errorf("spec.redis: %w", errMissingSection)
	}
	cfg, err := PublisherConfig(&p.Spec)
	if err != nil {
		return nil, err
	}
	u, err := urlFrom(spec.URL, spec.URLSecretRef, "spec.redis", env.Secrets)
	if err != nil {
		return nil, err
	}
	if u, err = withCredentials(u, spec.Username, spec.PasswordSecretRef, "spec.redis", env.Secrets); err != nil {
		return nil, err
	}
	o := redis.Options{Name: p.Name, URL: u, Channel: spec.Channel, Mode: redis.Mode(spec.Mode),
		RequireSubscribers: spec.RequireSubscribers, Config: cfg, Logger: env.Logger, Registerer: env.Registerer}
	if spec.StreamMaxLength != nil {
		o.StreamMaxLen = *spec.StreamMaxLength
	}
	return redis.New(o)
}

func buildRabbitMQPublisher(p *v1alpha1.Publisher, env Env) (integration.Publisher, error) {
	spec := p.Spec.RabbitMQ
	if spec == nil {
		return nil, fmt.Errorf("spec.rabbitmq: %w", errMissingSection)
	}
	cfg, err := PublisherConfig(&p.Spec)
	if err != nil {
		return nil, err
	}
	u, err := urlFrom(spec.URL, spec.URLSecretRef, "spec.rabbitmq", env.Secrets)
	if err != nil {
		return nil, err
	}
	if u, err = withCredentials(u, spec.Username, spec.PasswordSecretRef, "spec.rabbitmq", env.Secrets); err != nil {
		return nil, err
	}
	return rabbitmq.New(rabbitmq.Options{Name: p.Name, URL: u, Exchange: spec.Exchange, ExchangeType: spec.ExchangeType,
		RoutingKey: spec.RoutingKey, DeclareQueue: spec.DeclareQueue, Config: cfg, Logger: env.Logger, Registerer: env.Registerer})
}

// urlFrom returns the literal URL or the one held by a Secret (exactly one
// of them must be given).
func urlFrom(literal string, ref *corev1.SecretKeySelector, field string, secrets SecretResolver) (string, error) {
	switch {
	case literal != "" && ref != nil:
		return "", fmt.Errorf("%s: url and urlSecretRef are mutually exclusive", field)
	case ref != nil:
		v, err := secrets.Secret(*ref)
		if err != nil {
			return "", fmt.Errorf("%s.urlSecretRef: %w", field, err)
		}
		if v == "" {
			return "", fmt.Errorf("%s.urlSecretRef: the secret value is empty", field)
		}
		return v, nil
	case literal == "":
		return "", fmt.Errorf("%s: url or urlSecretRef is required", field)
	}
	return literal, nil
}

// withCredentials puts username and the Secret-held password into u.
func withCredentials(raw, user string, pw *corev1.SecretKeySelector, field string, secrets SecretResolver) (string, error) {
	if user == "" && pw == nil {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s.url: %s", field, integration.RedactError(err))
	}
	password, err := secretValue(pw, field+".passwordSecretRef", secrets)
	if err != nil {
		return "", err
	}
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	if password == "" {
		u.User = url.User(user)
	} else {
		u.User = url.UserPassword(user, password)
	}
	return u.String(), nil
}
