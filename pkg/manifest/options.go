package manifest

import (
	"fmt"
	"strconv"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// retryConfig translates the CRD's retry and breaker options. The CRD's
// explicit zeros map onto the strategies that mean them (maxRetries 0 → one
// attempt, initialRetryDelay 0 → immediate retries), because the integration
// configuration reads zero as "default".
func retryConfig(o v1alpha1.ComponentOptions) (integration.RetryConfig, error) {
	var rc integration.RetryConfig
	if o.RetryStrategy != "" {
		s, err := integration.ParseRetryStrategy(string(o.RetryStrategy))
		if err != nil {
			return rc, fmt.Errorf("spec.retryStrategy: %w", err)
		}
		rc.RetryStrategy = s
	}
	if o.MaxRetries != nil {
		if *o.MaxRetries == 0 {
			rc.RetryStrategy = integration.RetryNone
		} else {
			rc.MaxRetries = int(*o.MaxRetries)
		}
	}
	if o.InitialRetryDelay != nil {
		if o.InitialRetryDelay.Duration == 0 && rc.RetryStrategy != integration.RetryNone {
			rc.RetryStrategy = integration.RetryImmediate
		}
		rc.InitialRetryDelay = o.InitialRetryDelay.Duration
	}
	if o.MaxRetryDelay != nil {
		rc.MaxRetryDelay = o.MaxRetryDelay.Duration
	}
	if o.BackoffMultiplier != "" {
		m, err := strconv.ParseFloat(string(o.BackoffMultiplier), 64)
		if err != nil {
			return rc, fmt.Errorf("spec.backoffMultiplier: %q is not a decimal number", string(o.BackoffMultiplier))
		}
		rc.BackoffMultiplier = m
	}
	if o.Timeout != nil {
		rc.Timeout = o.Timeout.Duration
	}
	if o.CircuitBreakerThreshold != nil {
		rc.CircuitBreakerThreshold = int(*o.CircuitBreakerThreshold)
	}
	if o.CircuitBreakerTimeout != nil {
		rc.CircuitBreakerTimeout = o.CircuitBreakerTimeout.Duration
	}
	if o.EnableMetrics != nil && !*o.EnableMetrics {
		rc.DisableMetrics = true
	}
	if o.Enabled != nil && !*o.Enabled {
		rc.Disabled = true
	}
	if err := rc.Validate(); err != nil {
		return rc, err
	}
	return rc, nil
}

// ConnectorConfig translates a Connector's common options.
func ConnectorConfig(spec *v1alpha1.ConnectorSpec) (integration.ConnectorConfig, error) {
	rc, err := retryConfig(spec.ComponentOptions)
	if err != nil {
		return integration.ConnectorConfig{}, err
	}
	cc := integration.ConnectorConfig{RetryConfig: rc}
	if spec.MaxMessageBytes != nil {
		cc.MaxMessageBytes = int(*spec.MaxMessageBytes)
	}
	return cc, cc.Validate()
}

// PublisherConfig translates a Publisher's common options.
func PublisherConfig(spec *v1alpha1.PublisherSpec) (integration.PublisherConfig, error) {
	rc, err := retryConfig(spec.ComponentOptions)
	if err != nil {
		return integration.PublisherConfig{}, err
	}
	pc := integration.PublisherConfig{RetryConfig: rc}
	if spec.DeliveryGuarantee != "" {
		g, err := integration.ParseDeliveryGuarantee(string(spec.DeliveryGuarantee))
		if err != nil {
			return pc, fmt.Errorf("spec.deliveryGuarantee: %w", err)
		}
		pc.DeliveryGuarantee = g
	}
	if spec.BatchSize != nil {
		pc.BatchSize = int(*spec.BatchSize)
	}
	if spec.BatchTimeout != nil {
		pc.BatchTimeout = spec.BatchTimeout.Duration
	}
	if spec.MaxBufferedMessages != nil {
		pc.MaxBufferedMessages = int(*spec.MaxBufferedMessages)
	}
	if spec.BlockOnFull != nil && !*spec.BlockOnFull {
		pc.FailFastWhenFull = true
	}
	if spec.MaxMessageAge != nil {
		pc.MaxMessageAge = spec.MaxMessageAge.Duration
	}
	if spec.EnableCompression != nil {
		pc.EnableCompression = *spec.EnableCompression
	}
	if spec.Kafka != nil {
		pc.CompressionCodec = spec.Kafka.CompressionCodec
	}
	if spec.PayloadFormat != "" {
		f, err := integration.ParsePayloadFormat(string(spec.PayloadFormat))
		if err != nil {
			return pc, fmt.Errorf("spec.payloadFormat: %w", err)
		}
		pc.PayloadFormat = f
	}
	if spec.NonFinite != "" {
		n, err := integration.ParseNonFinitePolicy(string(spec.NonFinite))
		if err != nil {
			return pc, fmt.Errorf("spec.nonFinite: %w", err)
		}
		pc.NonFinite = n
	}
	return pc, pc.ValidateFor(string(spec.Type))
}
