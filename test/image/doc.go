// Package image tests the Dockerfile without a Docker engine: every COPY
// source exists and survives .dockerignore, the go build targets are main
// packages built with CGO_ENABLED=0, and the final stage is distroless,
// non-root and holds /manager and /mfn.
package image
