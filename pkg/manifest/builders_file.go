package manifest

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/mfn-io/mfn-operator/api/v1alpha1"
	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/file"
)

func buildFileConnector(c *v1alpha1.Connector, env Env) (integration.Connector, error) {
	spec := c.Spec.File
	if spec == nil {
		return nil, fmt.Errorf("spec.file: %w", errMissingSection)
	}
	cfg, err := ConnectorConfig(&c.Spec)
	if err != nil {
		return nil, err
	}
	o := file.ConnectorOptions{Name: c.Name, Directory: spec.Directory, FilePattern: spec.FilePattern,
		ProcessedDir: spec.ProcessedDir, FailedDir: spec.FailedDir, Config: cfg}
	switch spec.AfterProcess {
	case "", v1alpha1.FileMove:
		o.AfterProcess = file.AfterProcessMove
	case v1alpha1.FileDelete:
		o.AfterProcess = file.AfterProcessDelete
	default:
		// Claims are renames into processing/, so a file cannot stay in
		// the inbox after it was processed.
		return nil, fmt.Errorf("spec.file.afterProcess: %q is not supported by the worker; use move or delete", spec.AfterProcess)
	}
	if spec.WatchMode != nil {
		o.WatchMode = *spec.WatchMode
	}
	if spec.PollInterval != nil {
		o.PollInterval = spec.PollInterval.Duration
	}
	return file.NewConnector(o, component.Options{Logger: env.Logger, Registerer: env.Registerer})
}

func buildJSONLPublisher(p *v1alpha1.Publisher, env Env) (integration.Publisher, error) {
	spec := p.Spec.JSONL
	if spec == nil {
		return nil, fmt.Errorf("spec.jsonl: %w", errMissingSection)
	}
	cfg, err := PublisherConfig(&p.Spec)
	if err != nil {
		return nil, err
	}
	name := spec.FileName
	if name == "" {
		name = p.Name + ".jsonl"
	}
	name = strings.ReplaceAll(name, "{worker}", env.Worker)
	if name != filepath.Base(name) || name == "." || name == ".." {
		return nil, fmt.Errorf("spec.jsonl.fileName: %q must be a plain file name", spec.FileName)
	}
	return file.NewJSONLPublisher(file.JSONLOptions{Name: p.Name, Path: filepath.Join(spec.Directory, name), Config: cfg},
		component.Options{Logger: env.Logger, Registerer: env.Registerer})
}
