package manifest

import "github.com/mfn-io/mfn-operator/api/v1alpha1"

// defaultConnectors lists the built-in connector builders.
func defaultConnectors() map[v1alpha1.ConnectorType]ConnectorBuilder {
	return map[v1alpha1.ConnectorType]ConnectorBuilder{}
}

// defaultPublishers lists the built-in publisher builders.
func defaultPublishers() map[v1alpha1.PublisherType]PublisherBuilder {
	return map[v1alpha1.PublisherType]PublisherBuilder{}
}
