// Package v1alpha1 holds the mfn.mycelium.io/v1alpha1 API: MFNPipeline, which
// runs the mycelium simulation as a fleet of worker pods that read simulation
// parameters from a Connector and send results to one or more Publishers.
//
// # Kinds
//
//   - [MFNPipeline] (short name mfnp): the workload. It references one
//     Connector, one or more Publishers and optionally a dead-letter
//     Publisher in the same namespace, and carries simulation defaults,
//     input limits and the worker pod template.
//   - [Connector] (mfnconn): a source of simulation parameters (kafka, file,
//     rest or database) with its retry and circuit-breaker settings.
//   - [Publisher] (mfnpub): a destination for results (kafka, webhook, redis,
//     rabbitmq or jsonl) with its batching, delivery-guarantee, retry and
//     circuit-breaker settings.
//
// # Conventions
//
// Option names are the lowerCamelCase form of INTEGRATION.md §2, §7 and §8
// (max_retries → maxRetries); enum values keep their snake_case wire form
// (exponential_backoff, at_least_once). Durations are [metav1.Duration]
// strings ("1.5s", "60s"). Fractional numbers are decimal strings such as
// "2.0" or "0.18" (see [Decimal]) because float64 fields are not portable
// in CRDs. Credentials (passwords, tokens, DSNs, webhook signing keys, URLs
// that embed a password) are never inline: they are read from Secrets
// through [corev1.SecretKeySelector] fields whose names end in SecretRef.
//
// Everything that can be checked at admission is checked by the API server
// (OpenAPI bounds, enums, patterns and CEL rules with messages that name the
// field), so an invalid object is refused by kubectl apply rather than
// reported later in a condition.
package v1alpha1
