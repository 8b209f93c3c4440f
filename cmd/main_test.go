package main

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

func validOptions() options {
	return options{maxConcurrentReconciles: 2, statusInterval: 10 * time.Second, workerImage: "img"}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*options)
		wantErr string
	}{
		{"valid", func(*options) {}, ""},
		{"zero reconciles", func(o *options) { o.maxConcurrentReconciles = 0 }, "--max-concurrent-reconciles must be at least 1"},
		{"short interval", func(o *options) { o.statusInterval = 500 * time.Millisecond }, "--status-interval must be at least 1s"},
		{"no image", func(o *options) { o.workerImage = "" }, "--worker-image must not be empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := validOptions()
			tc.mutate(&o)
			err := o.validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("validate() = %v, want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNamespaces(t *testing.T) {
	tests := []struct {
		flag string
		want []string
	}{
		{"", nil},
		{" , ", nil},
		{"a", []string{"a"}},
		{"a, b,,c ", []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		o := options{watchNamespaces: tc.flag}
		got := o.namespaces()
		if tc.want == nil {
			if got != nil {
				t.Errorf("namespaces(%q) = %v, want nil (all namespaces)", tc.flag, got)
			}
			continue
		}
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
			t.Errorf("namespaces(%q) = %v, want %v", tc.flag, keys, tc.want)
		}
	}
}
