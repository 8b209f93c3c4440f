// Package database is the PostgreSQL polling connector of INTEGRATION.md
// §7.4: it claims rows with a lease so that any number of workers can poll
// one table without taking the same row twice, emits one message per row
// (a JSON object of the row's columns), runs an acknowledgement query once
// the row's result has been published, and lets unacknowledged rows become
// claimable again when their lease expires (Nack releases them at once).
//
// # Claim contract
//
// In table mode the connector generates
//
//	WITH claimed AS (
//	  UPDATE <table> AS t SET <lease_column> = $1
//	  FROM (SELECT <key> AS k FROM <table>
//	        WHERE (<where>) AND (<lease_column> IS NULL OR <lease_column> <= $2)
//	        ORDER BY <key> LIMIT $3 FOR UPDATE SKIP LOCKED) AS c
//	  WHERE t.<key> = c.k
//	  RETURNING t.*)
//	SELECT * FROM claimed ORDER BY <key>
//
// with $1 = now + lease, $2 = now (the connector's clock) and $3 = the
// batch size. After a message is acknowledged the connector runs ack_query
// with $1 = the row's key; ack_query must make the row stop matching
// <where> (or delete it). With emit=batch one message holds every row of a
// poll as a JSON array and its Ack runs ack_query for each row. The full
// contract, including the custom-query mode (a claiming statement, or a
// plain SELECT for a single worker), is in docs/INTEGRATION.md, section
// "Connectors".
package database
