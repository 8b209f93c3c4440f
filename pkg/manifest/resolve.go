package manifest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// Resolved is one pipeline with the objects it references.
type Resolved struct {
	Pipeline   *v1alpha1.MFNPipeline
	Connector  *v1alpha1.Connector
	Publishers []*v1alpha1.Publisher
	// DeadLetter is nil when the pipeline has no dead-letter publisher.
	DeadLetter *v1alpha1.Publisher
}

// Resolve returns the pipeline called name (any name when the set holds
// exactly one pipeline and name is empty) with its connector and publishers.
// A missing object is an error that names it and the field referring to it.
func (s *Set) Resolve(name string) (*Resolved, error) {
	p, err := s.pipeline(name)
	if err != nil {
		return nil, err
	}
	r := &Resolved{Pipeline: p}
	where := fmt.Sprintf("MFNPipeline %q", p.Name)
	c, ok := s.Connectors[p.Spec.ConnectorRef.Name]
	if !ok {
		return nil, fmt.Errorf("manifest: %s: spec.connectorRef: Connector %q not found%s",
			where, p.Spec.ConnectorRef.Name, s.known(KindConnector))
	}
	r.Connector = c
	if len(p.Spec.PublisherRefs) == 0 {
		return nil, fmt.Errorf("manifest: %s: spec.publisherRefs must name at least one Publisher", where)
	}
	seen := map[string]bool{}
	for i, ref := range p.Spec.PublisherRefs {
		pub, ok := s.Publishers[ref.Name]
		if !ok {
			return nil, fmt.Errorf("manifest: %s: spec.publisherRefs[%d]: Publisher %q not found%s",
				where, i, ref.Name, s.known(KindPublisher))
		}
		if seen[ref.Name] {
			return nil, fmt.Errorf("manifest: %s: spec.publisherRefs[%d]: Publisher %q is listed twice", where, i, ref.Name)
		}
		seen[ref.Name] = true
		r.Publishers = append(r.Publishers, pub)
	}
	if ref := p.Spec.DeadLetterPublisherRef; ref != nil {
		pub, ok := s.Publishers[ref.Name]
		if !ok {
			return nil, fmt.Errorf("manifest: %s: spec.deadLetterPublisherRef: Publisher %q not found%s",
				where, ref.Name, s.known(KindPublisher))
		}
		if seen[ref.Name] {
			return nil, fmt.Errorf("manifest: %s: spec.deadLetterPublisherRef: Publisher %q is also a result publisher", where, ref.Name)
		}
		r.DeadLetter = pub
	}
	return r, nil
}

func (s *Set) pipeline(name string) (*v1alpha1.MFNPipeline, error) {
	if name != "" {
		p, ok := s.Pipelines[name]
		if !ok {
			return nil, fmt.Errorf("manifest: MFNPipeline %q not found%s", name, s.known(KindPipeline))
		}
		return p, nil
	}
	switch len(s.Pipelines) {
	case 0:
		return nil, errNoPipeline
	case 1:
		for _, p := range s.Pipelines {
			return p, nil
		}
	}
	return nil, fmt.Errorf("manifest: %d MFNPipelines found%s; choose one by name", len(s.Pipelines), s.known(KindPipeline))
}

// known lists the defined objects of a kind for an error message.
func (s *Set) known(kind string) string {
	var names []string
	for key := range s.sources {
		if n, ok := strings.CutPrefix(key, kind+"/"); ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (no %s is defined)", kind)
	}
	slices.Sort(names)
	return fmt.Sprintf(" (defined: %s)", strings.Join(names, ", "))
}
