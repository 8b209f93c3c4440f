// Package status defines the JSON document a worker serves on GET /status.
//
// The document is a contract between the pipeline runtime (which writes it)
// and the operator (which polls it from every ready worker pod and aggregates
// it into MFNPipeline, Connector and Publisher status). Both sides import the
// types in this package; a change that is not backwards compatible must bump
// [SchemaVersion].
//
// # Schema
//
// The top-level object is [Report]. Times are RFC 3339 in UTC. Counters are
// cumulative since the worker process started; the operator treats a counter
// that goes down as a worker restart.
package status
