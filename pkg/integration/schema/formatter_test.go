package schema_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/integration/component"
	"github.com/mfn-io/mfn-operator/pkg/integration/file"
	"github.com/mfn-io/mfn-operator/pkg/integration/schema"
	"github.com/mfn-io/mfn-operator/pkg/sim/features"
)

// TestFormatterOverJSONL: the same shared bodies through three JSON Lines
// publishers with different options: envelope/reject writes the finite
// result and refuses the non-finite one, flat/null writes both flat.
func TestFormatterOverJSONL(t *testing.T) {
	src := schema.Source{ConnectorID: "file-in", Position: "a.json@1:2"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fine := schema.Success(src, "sim-ok", nil, features.Vector{DBox: 1.5, TStable: 3}, at)
	bad := schema.Success(src, "sim-nan", nil, features.Vector{DBox: math.NaN(), TStable: 3}, at)
	var bodies [][]byte
	for _, r := range []schema.Result{fine, bad} {
		b, err := r.MarshalShared()
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	dir := t.TempDir()
	cases := []struct {
		name    string
		opts    schema.EncodeOptions
		refused bool // the non-finite result
		first   string
	}{
		{"default", schema.EncodeOptions{}, true, `{"event_id":"`},
		{"flat", schema.EncodeOptions{Format: integration.PayloadFlat}, true, `{"simulation_id":"sim-ok","D_box":1.5,`},
		{"flat-null", schema.EncodeOptions{Format: integration.PayloadFlat, NonFinite: integration.NonFiniteNull}, false,
			`{"simulation_id":"sim-ok","D_box":1.5,`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".jsonl")
			cfg := integration.PublisherConfig{BatchSize: 1, PayloadFormat: c.opts.Format, NonFinite: c.opts.NonFinite}
			jp, err := file.NewJSONLPublisher(file.JSONLOptions{Path: path, Config: cfg}, component.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := schema.NewFormatter(jp, schema.OptionsOf(cfg))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := p.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			for i, b := range bodies {
				err := p.Publish(ctx, integration.Outgoing{EventID: "e", Body: b})
				if refused := errors.Is(err, schema.ErrNonFinite); refused != (i == 1 && c.refused) || (err != nil && !refused) {
					t.Fatalf("publish %d: %v", i, err)
				}
			}
			if err := p.Disconnect(ctx); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			want := 2
			if c.refused {
				want = 1
			}
			if len(lines) != want || !strings.HasPrefix(lines[0], c.first) {
				t.Fatalf("%d lines, first %q; want %d starting %q", len(lines), lines[0], want, c.first)
			}
			if want == 2 && !strings.HasPrefix(lines[1], `{"simulation_id":"sim-nan","D_box":null,`) {
				t.Fatalf("second line %s", lines[1])
			}
		})
	}
	if _, err := schema.NewFormatter(nil, schema.EncodeOptions{Format: "xml"}); err == nil ||
		!strings.Contains(err.Error(), `payload_format: unknown value "xml"`) {
		t.Fatalf("NewFormatter with a bad format: %v", err)
	}
}
