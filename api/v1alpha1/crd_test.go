package v1alpha1_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	mfnv1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// TestEveryFieldIsDocumented walks the generated CRD schemas: every
// property needs a description, which is what kubectl explain shows.
func TestEveryFieldIsDocumented(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(paths) != 3 {
		t.Fatalf("want 3 CRDs in config/crd/bases, got %v (%v)", paths, err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatal(err)
		}
		for _, v := range crd.Spec.Versions {
			var missing []string
			walked := walkSchema(crd.Spec.Names.Kind, *v.Schema.OpenAPIV3Schema, &missing)
			if walked < 50 {
				t.Errorf("%s: only %d fields in the schema; the walk is broken", filepath.Base(p), walked)
			}
			if len(missing) > 0 {
				t.Errorf("%s: fields without a description (add a doc comment):\n  %s",
					filepath.Base(p), strings.Join(missing, "\n  "))
			}
		}
	}
}

// walkSchema appends the paths of undocumented properties below s to
// missing and returns the number of properties it visited.
func walkSchema(path string, s apiextensionsv1.JSONSchemaProps, missing *[]string) int {
	n := 0
	for name, prop := range s.Properties {
		p := path + "." + name
		if prop.Description == "" && p != path+".metadata" {
			*missing = append(*missing, p)
		}
		n += 1 + walkSchema(p, prop, missing)
	}
	if s.Items != nil && s.Items.Schema != nil {
		n += walkSchema(path+"[]", *s.Items.Schema, missing)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		n += walkSchema(path+"{}", *s.AdditionalProperties.Schema, missing)
	}
	return n
}

// TestCRDNames pins the group, kinds, short names and category that users
// type.
func TestCRDNames(t *testing.T) {
	for file, want := range map[string][3]string{
		"mfn.mycelium.io_mfnpipelines.yaml": {"MFNPipeline", "mfnpipelines", "mfnp"},
		"mfn.mycelium.io_connectors.yaml":   {"Connector", "connectors", "mfnconn"},
		"mfn.mycelium.io_publishers.yaml":   {"Publisher", "publishers", "mfnpub"},
	} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "config", "crd", "bases", file))
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatal(err)
		}
		n := crd.Spec.Names
		if crd.Spec.Group != mfnv1alpha1.GroupVersion.Group || n.Kind != want[0] || n.Plural != want[1] ||
			len(n.ShortNames) != 1 || n.ShortNames[0] != want[2] || len(n.Categories) != 1 || n.Categories[0] != "mfn" {
			t.Errorf("%s: group %s names %+v, want kind %s plural %s short name %s category mfn",
				file, crd.Spec.Group, n, want[0], want[1], want[2])
		}
		if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
			t.Errorf("%s: scope %s, want Namespaced", file, crd.Spec.Scope)
		}
		if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Subresources == nil || crd.Spec.Versions[0].Subresources.Status == nil {
			t.Errorf("%s: want one version with the status subresource", file)
		}
	}
}

func TestParseBreakerState(t *testing.T) {
	for wire, want := range map[string]mfnv1alpha1.BreakerState{
		"closed":    mfnv1alpha1.BreakerClosed,
		"open":      mfnv1alpha1.BreakerOpen,
		"half_open": mfnv1alpha1.BreakerHalfOpen,
	} {
		got, ok := mfnv1alpha1.ParseBreakerState(wire)
		if !ok || got != want {
			t.Errorf("ParseBreakerState(%q) = %q, %v; want %q, true", wire, got, ok, want)
		}
	}
	for _, bad := range []string{"", "Closed", "HalfOpen", "half-open", "OPEN"} {
		if got, ok := mfnv1alpha1.ParseBreakerState(bad); ok {
			t.Errorf("ParseBreakerState(%q) = %q, true; want false", bad, got)
		}
	}
}
