package database

import "testing"

// TestTrackRefusesRowsSettledDuringTheClaim: a claim's query may read a row
// as it was before an ack_query that committed while the claim ran; such a
// row must not be handed out again by that claim, but the next claim may
// take it (a row whose ack failed is still pending and must come back).
func TestTrackRefusesRowsSettledDuringTheClaim(t *testing.T) {
	c := &Connector{}

	// Settled before any claim: nothing is remembered.
	if c.track("early", 0) != tracked {
		t.Fatal("first track of a key refused")
	}
	c.untrack("early")
	if len(c.settledAt) != 0 {
		t.Fatalf("settlement outside a claim remembered: %v", c.settledAt)
	}

	sinceA, endA := c.beginClaim()
	if c.track("early", sinceA) != tracked {
		t.Fatal("a key settled before the claim began was refused")
	}
	if c.track("a", sinceA) != tracked {
		t.Fatal("track a")
	}
	if c.track("a", sinceA) != inFlight {
		t.Fatal("a key in flight was tracked twice")
	}
	c.untrack("a") // acked while claim A runs

	sinceB, endB := c.beginClaim() // begins after the ack of "a"
	if c.track("a", sinceB) != tracked {
		t.Fatal("claim B began after the settlement of a and was refused it")
	}
	c.untrack("a")
	endB()
	// Claim A is still running and began before both settlements of "a".
	if c.track("a", sinceA) != settledDuringClaim {
		t.Fatal("claim A took a key settled while it ran")
	}
	endA()
	if len(c.settledAt) != 0 || len(c.claims) != 0 {
		t.Fatalf("after the last claim: settledAt %v, claims %v; want both empty", c.settledAt, c.claims)
	}
	sinceC, endC := c.beginClaim()
	defer endC()
	if c.track("a", sinceC) != tracked {
		t.Fatal("a later claim was refused a settled key (its ack may have failed: it must come back)")
	}
}
