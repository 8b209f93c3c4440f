// Command mfn is the MFN command-line tool. Each subcommand lives in its own
// file (cmd/mfn/<name>.go) and registers itself from an init function:
//
//	func init() { register("simulate", "run one simulation and print its features", runSimulate) }
//
// Usage:
//
//	mfn <command> [flags]
//	mfn help
//
// Exit codes: 0 success, 1 failure while running, 2 invalid input or usage.
package main
