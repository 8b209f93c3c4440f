module github.com/mfn-io/mfn-operator

go 1.26
