package manifest

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/schema"
	"github.com/mfn-io/mfn-operator/pkg/pipeline"
	"github.com/mfn-io/mfn-operator/pkg/sim"
)

// Env is what builders need besides the manifest.
type Env struct {
	// Secrets resolves secretKeyRefs. Required.
	Secrets SecretResolver
	// Registerer receives the components' Prometheus collectors; nil means
	// no Prometheus export.
	Registerer prometheus.Registerer
	// Logger receives the components' logs; nil means slog.Default().
	Logger *slog.Logger
	// Worker is the worker name, substituted for "{worker}" in JSON Lines
	// file names.
	Worker string
}

// ConnectorBuilder constructs a connector of one type from its manifest.
type ConnectorBuilder func(c *v1alpha1.Connector, env Env) (integration.Connector, error)

// PublisherBuilder constructs a publisher of one type from its manifest.
type PublisherBuilder func(p *v1alpha1.Publisher, env Env) (integration.Publisher, error)

// Registry maps component types to their builders.
type Registry struct {
	Connectors map[v1alpha1.ConnectorType]ConnectorBuilder
	Publishers map[v1alpha1.PublisherType]PublisherBuilder
}

// DefaultRegistry returns the builders of every built-in connector and publisher.
func DefaultRegistry() Registry {
	return Registry{Connectors: defaultConnectors(), Publishers: defaultPublishers()}
}

// Built is a resolved pipeline turned into runtime components.
type Built struct {
	Name       string
	Connector  pipeline.Connector
	Publishers []pipeline.Publisher
	DeadLetter pipeline.Publisher
	// Params is the base every message is decoded over; Limits caps it.
	Params sim.Params
	Limits sim.Limits
	// Workers is spec.concurrency (0 when unset: the runtime's default).
	Workers int
}

// Build constructs the components of r. Errors name the object and field.
func (reg Registry) Build(r *Resolved, env Env) (*Built, error) {
	b := &Built{Name: r.Pipeline.Name}
	var err error
	if b.Params, b.Limits, err = Simulation(&r.Pipeline.Spec); err != nil {
		return nil, fmt.Errorf("manifest: MFNPipeline %q: %w", r.Pipeline.Name, err)
	}
	if c := r.Pipeline.Spec.Concurrency; c != nil {
		b.Workers = int(*c)
	}
	conn, err := reg.connector(r.Connector, env)
	if err != nil {
		return nil, err
	}
	b.Connector = pipeline.Connector{Name: r.Connector.Name, Connector: conn}
	for _, p := range r.Publishers {
		pub, err := reg.publisher(p, env)
		if err != nil {
			return nil, err
		}
		b.Publishers = append(b.Publishers, pipeline.Publisher{Name: p.Name, Publisher: pub})
	}
	if r.DeadLetter != nil {
		pub, err := reg.publisher(r.DeadLetter, env)
		if err != nil {
			return nil, err
		}
		b.DeadLetter = pipeline.Publisher{Name: r.DeadLetter.Name, Publisher: pub}
	}
	return b, nil
}

func (reg Registry) connector(c *v1alpha1.Connector, env Env) (integration.Connector, error) {
	build, ok := reg.Connectors[c.Spec.Type]
	if !ok {
		return nil, fmt.Errorf("manifest: Connector %q: spec.type %q is not supported (supported: %v)",
			c.Name, c.Spec.Type, slices.Sorted(maps.Keys(reg.Connectors)))
	}
	conn, err := build(c, env)
	if err != nil {
		return nil, fmt.Errorf("manifest: Connector %q: %w", c.Name, err)
	}
	return conn, nil
}

func (reg Registry) publisher(p *v1alpha1.Publisher, env Env) (integration.Publisher, error) {
	build, ok := reg.Publishers[p.Spec.Type]
	if !ok {
		return nil, fmt.Errorf("manifest: Publisher %q: spec.type %q is not supported (supported: %v)",
			p.Name, p.Spec.Type, slices.Sorted(maps.Keys(reg.Publishers)))
	}
	pub, err := build(p, env)
	if err != nil {
		return nil, fmt.Errorf("manifest: Publisher %q: %w", p.Name, err)
	}
	// Every publisher gets its own payload format and non-finite policy
	// applied to the pipeline's shared result body (schema.MarshalShared).
	cfg, err := PublisherConfig(&p.Spec)
	if err != nil {
		return nil, fmt.Errorf("manifest: Publisher %q: %w", p.Name, err)
	}
	f, err := schema.NewFormatter(pub, schema.OptionsOf(cfg))
	if err != nil {
		return nil, fmt.Errorf("manifest: Publisher %q: %w", p.Name, err)
	}
	return f, nil
}
