package file

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
)

// Defaults of the file feed connector.
const (
	DefaultFilePattern  = "*.json"
	DefaultPollInterval = 5 * time.Second
	DefaultSettleAge    = time.Second
	DefaultClaimLease   = 10 * time.Minute
	ProcessingDirName   = "processing"
	ProcessedDirName    = "processed"
	FailedDirName       = "failed"
)

// After-process dispositions of an acknowledged file.
const (
	AfterProcessMove   = "move"
	AfterProcessDelete = "delete"
)

// ConnectorOptions configure the file feed connector (INTEGRATION.md §7.2).
// Zero values mean the documented defaults.
type ConnectorOptions struct {
	// ID overrides the component ID (default "file-" + Directory).
	ID string
	// Name is the configured name (default the ID).
	Name string
	// Directory is the inbox. Required.
	Directory string
	// FilePattern is a shell pattern matched against names directly inside
	// Directory; default "*.json". It must not contain "**" or a path separator.
	FilePattern string
	// WatchMode keeps rescanning every PollInterval; false processes the
	// files present once and ends the stream.
	WatchMode bool
	// PollInterval is the rescan interval in watch mode; default 5 s.
	PollInterval time.Duration
	// SettleAge: in watch mode a file is read only once its modification
	// time is at least this old (partial-write protection); default 1 s,
	// negative disables the check.
	SettleAge time.Duration
	// ClaimLease: on Connect, files claimed into processing/ longer ago
	// than this (a crashed replica) are returned to the inbox; default
	// 10 min. It must exceed the longest processing time of one file.
	ClaimLease time.Duration
	// AfterProcess is "move" (default: acknowledged files go to
	// processed/) or "delete".
	AfterProcess string
	// ProcessingDir, ProcessedDir, FailedDir default to the sub-directories
	// processing/, processed/ and failed/ of Directory. They must be on the
	// same file system as Directory (claims are renames).
	ProcessingDir, ProcessedDir, FailedDir string
	// Config holds retries/breaker (unused by the file feed), enabled,
	// enable_metrics and max_message_bytes.
	Config integration.ConnectorConfig
}

func (o ConnectorOptions) withDefaults() ConnectorOptions {
	if o.FilePattern == "" {
		o.FilePattern = DefaultFilePattern
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.SettleAge == 0 {
		o.SettleAge = DefaultSettleAge
	}
	if o.ClaimLease == 0 {
		o.ClaimLease = DefaultClaimLease
	}
	if o.AfterProcess == "" {
		o.AfterProcess = AfterProcessMove
	}
	if o.ProcessingDir == "" {
		o.ProcessingDir = filepath.Join(o.Directory, ProcessingDirName)
	}
	if o.ProcessedDir == "" {
		o.ProcessedDir = filepath.Join(o.Directory, ProcessedDirName)
	}
	if o.FailedDir == "" {
		o.FailedDir = filepath.Join(o.Directory, FailedDirName)
	}
	if o.ID == "" {
		o.ID = "file-" + o.Directory
	}
	return o
}

// Validate checks the options; the error names the field and the rule.
func (o ConnectorOptions) Validate() error {
	d := o.withDefaults()
	var errs []error
	if strings.TrimSpace(o.Directory) == "" {
		errs = append(errs, errors.New("directory: must not be empty"))
	}
	if strings.Contains(d.FilePattern, "**") || strings.ContainsAny(d.FilePattern, `/\`) {
		errs = append(errs, fmt.Errorf("file_pattern %q: must match names directly inside the directory (no \"**\", no path separator)", d.FilePattern))
	} else if _, err := path.Match(d.FilePattern, ""); err != nil {
		errs = append(errs, fmt.Errorf("file_pattern %q: %v", d.FilePattern, err))
	}
	if d.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll_interval = %v: must be > 0", d.PollInterval))
	}
	if d.ClaimLease <= 0 {
		errs = append(errs, fmt.Errorf("claim_lease = %v: must be > 0", d.ClaimLease))
	}
	if d.AfterProcess != AfterProcessMove && d.AfterProcess != AfterProcessDelete {
		errs = append(errs, fmt.Errorf("after_process %q: must be move or delete", d.AfterProcess))
	}
	if err := o.Config.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid file connector options: %w", err)
	}
	return nil
}
