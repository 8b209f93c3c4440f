package rng

//go:generate go run ./internal/ztgen -in ../../../../shared/golden/ziggurat_tables.json -out ztables.go
