package manifest

import (
	"fmt"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/database"
)

func buildDatabaseConnector(c *v1alpha1.Connector, env Env) (integration.Connector, error) {
	spec := c.Spec.Database
	if spec == nil {
		return nil, fmt.Errorf("spec.database: %w", errMissingSection)
	}
	if spec.Driver != "" && spec.Driver != "postgres" {
		return nil, fmt.Errorf("spec.database.driver: %q is not supported (postgres)", spec.Driver)
	}
	cfg, err := ConnectorConfig(&c.Spec)
	if err != nil {
		return nil, err
	}
	dsn, err := env.Secrets.Secret(spec.ConnectionStringSecretRef)
	if err != nil {
		return nil, fmt.Errorf("spec.database.connectionStringSecretRef: %w", err)
	}
	o := database.Options{Name: c.Name, ConnectionString: dsn, Query: spec.Query, KeyColumn: spec.KeyColumn,
		AckQuery: spec.AckQuery, Emit: string(spec.Emit), Config: cfg, Logger: env.Logger, Registerer: env.Registerer}
	if spec.PollInterval != nil {
		o.PollInterval = spec.PollInterval.Duration
	}
	return database.New(o)
}
