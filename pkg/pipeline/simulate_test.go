package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mfn-io/mfn-operator/pkg/integration"
	"github.com/mfn-io/mfn-operator/pkg/sim"
)

// A message the connector flagged as unusable (here: over max_message_bytes)
// must fail as invalid input even when its payload is valid parameters.
func TestSimProcessorRejectsFlaggedMessages(t *testing.T) {
	p := NewSimProcessor(SimConfig{})
	msg := integration.NewMessage("kafka-params", "params/0/7", []byte(`{"grid_size": 8, "steps": 2}`), time.Now(), nil)
	msg.Metadata = map[string]string{integration.MetadataError: "message of 2000000 bytes exceeds max_message_bytes 1048576"}
	_, err := p.Process(t.Context(), msg)
	if !errors.Is(err, sim.ErrInvalidParams) {
		t.Fatalf("Process error = %v, want one matching sim.ErrInvalidParams", err)
	}
	if !strings.Contains(err.Error(), "max_message_bytes") {
		t.Errorf("error %q does not carry the connector's reason", err)
	}

	msg = integration.NewMessage("kafka-params", "params/0/8", []byte(`{"grid_size": 8, "steps": 2, "seed": 1}`), time.Now(), nil)
	res, err := p.Process(t.Context(), msg)
	if err != nil {
		t.Fatalf("Process of a valid unflagged message: %v", err)
	}
	if !strings.Contains(string(res.Body), `"simulation_complete"`) {
		t.Errorf("result body %s is not a completion envelope", res.Body)
	}
}
