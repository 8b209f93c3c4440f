package manifest

import (
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/rest"
)

// defaultConnectors lists the built-in connector builders.
func defaultConnectors() map[v1alpha1.ConnectorType]ConnectorBuilder {
	return map[v1alpha1.ConnectorType]ConnectorBuilder{
		v1alpha1.ConnectorREST:     buildREST,
		v1alpha1.ConnectorKafka:    buildKafkaConnector,
		v1alpha1.ConnectorFile:     buildFileConnector,
		v1alpha1.ConnectorDatabase: buildDatabaseConnector,
	}
}

// defaultPublishers lists the built-in publisher builders.
func defaultPublishers() map[v1alpha1.PublisherType]PublisherBuilder {
	return map[v1alpha1.PublisherType]PublisherBuilder{
		v1alpha1.PublisherKafka:    buildKafkaPublisher,
		v1alpha1.PublisherWebhook:  buildWebhookPublisher,
		v1alpha1.PublisherRedis:    buildRedisPublisher,
		v1alpha1.PublisherRabbitMQ: buildRabbitMQPublisher,
		v1alpha1.PublisherJSONL:    buildJSONLPublisher,
	}
}

// errMissingSection is wrapped when spec.<type> is absent.
var errMissingSection = errors.New("section is required for this type")

func buildREST(c *v1alpha1.Connector, env Env) (integration.Connector, error) {
	spec := c.Spec.REST
	if spec == nil {
		return nil, fmt.Errorf("spec.rest: %w", errMissingSection)
	}
	cfg, err := ConnectorConfig(&c.Spec)
	if err != nil {
		return nil, err
	}
	headers, err := secretHeaders(spec.Headers, spec.HeadersFrom, "spec.rest.headersFrom", env.Secrets)
	if err != nil {
		return nil, err
	}
	o := rest.Options{Name: c.Name, Registerer: env.Registerer, BaseURL: spec.BaseURL, Endpoint: spec.Endpoint, Method: string(spec.Method),
		Query: spec.Query, Headers: headers, Config: cfg, Logger: env.Logger}
	if spec.PollInterval != nil {
		o.PollInterval = spec.PollInterval.Duration
	}
	if spec.Dedupe != nil && !*spec.Dedupe {
		o.EmitUnchanged = true
	}
	if spec.ConditionalRequests != nil && !*spec.ConditionalRequests {
		o.DisableConditionalRequests = true
	}
	return rest.New(o)
}

// secretHeaders merges literal headers with headers read from Secrets.
func secretHeaders(literal map[string]string, from []v1alpha1.SecretHeader, field string, secrets SecretResolver) (map[string]string, error) {
	if len(from) == 0 {
		return literal, nil
	}
	h := maps.Clone(literal)
	if h == nil {
		h = map[string]string{}
	}
	for i, sh := range from {
		v, err := secrets.Secret(sh.ValueSecretRef)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] (%s): %w", field, i, sh.Name, err)
		}
		h[sh.Name] = v
	}
	return h, nil
}

// secretValue resolves an optional secret reference; "" when ref is nil.
func secretValue(ref *corev1.SecretKeySelector, field string, secrets SecretResolver) (string, error) {
	if ref == nil {
		return "", nil
	}
	v, err := secrets.Secret(*ref)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}
