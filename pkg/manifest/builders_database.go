package manifest

import (
	"errors"
	"fmt"
	"strings"

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
	// Admission enforces these in a cluster; local manifests are not admitted.
	if strings.TrimSpace(spec.KeyColumn) == "" {
		return nil, errors.New("spec.database.keyColumn: required (the column of the query's result that identifies a row, passed to ackQuery as $1)")
	}
	if strings.TrimSpace(spec.AckQuery) == "" {
		return nil, errors.New("spec.database.ackQuery: required (run with the row's key as $1 once its results were published; it must make the row stop matching the query)")
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
