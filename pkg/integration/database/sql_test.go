package database

import (
	"sync"
	"testing"
	"time"
)

// claimKeys runs the generated claim statement once and returns the keys.
func claimKeys(t *testing.T, db *testDB, st statements, now time.Time, lease time.Duration, limit int) []int64 {
	t.Helper()
	rows, err := db.pool.Query(t.Context(), st.claim, now.Add(lease), now, limit)
	if err != nil {
		t.Errorf("claim: %v", err)
		return nil
	}
	defer rows.Close()
	var keys []int64
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Errorf("values: %v", err)
			return nil
		}
		keys = append(keys, vals[0].(int64))
	}
	if err := rows.Err(); err != nil {
		t.Errorf("rows: %v", err)
	}
	return keys
}

func TestClaimStatementSkipsLockedAndLeasedRows(t *testing.T) {
	db := newTestDB(t)
	db.insertJobs(t, 5)
	db.exec(t, `UPDATE `+db.table+` SET status = 'done' WHERE id = 2`)
	st := buildStatements(&Options{Table: db.table, KeyColumn: "id", Where: "status = 'pending'"})
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

	first := claimKeys(t, db, st, now, time.Minute, 2)
	if len(first) != 2 || first[0] != 1 || first[1] != 3 {
		t.Fatalf("first claim = %v, want [1 3]", first)
	}
	second := claimKeys(t, db, st, now, time.Minute, 10)
	if len(second) != 2 || second[0] != 4 || second[1] != 5 {
		t.Fatalf("second claim = %v, want [4 5] (leased rows skipped)", second)
	}
	if got := claimKeys(t, db, st, now.Add(59*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claim before lease expiry = %v, want none", got)
	}
	if got := claimKeys(t, db, st, now.Add(time.Minute), time.Minute, 10); len(got) != 4 {
		t.Fatalf("claim at lease expiry = %v, want the 4 pending rows again", got)
	}
}

// TestClaimStatementConcurrentClaimersDisjoint runs many claimers at once;
// no key may be claimed twice and every pending row is claimed once.
func TestClaimStatementConcurrentClaimersDisjoint(t *testing.T) {
	db := newTestDB(t)
	const rows = 200
	db.insertJobs(t, rows)
	st := buildStatements(&Options{Table: db.table, KeyColumn: "id", Where: "status = 'pending'"})
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				keys := claimKeys(t, db, st, now, time.Hour, 7)
				if len(keys) == 0 {
					return
				}
				mu.Lock()
				for _, k := range keys {
					seen[k]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != rows {
		t.Fatalf("claimed %d distinct rows, want %d", len(seen), rows)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("row %d claimed %d times", k, n)
		}
	}
}
