// Package golden locates and loads the golden data of the MFN reference
// implementation (the shared/golden directory) for tests.
//
// The golden directory sits beside the repository checkout
// (<repo>/../shared/golden); the environment variable MFN_GOLDEN_DIR
// overrides that location. A missing directory or file fails the test: the
// golden comparisons are the proof of bit-compatibility and must never be
// skipped silently.
package golden
