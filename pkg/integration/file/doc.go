// Package file holds the file feed connector (INTEGRATION.md §7.2) and
// the JSON Lines file publisher (§8.8, kind "jsonl").
//
// # Directory layout of the file feed
//
//	<directory>/               inbox: files matching file_pattern (default *.json)
//	<directory>/processing/    claimed files, named <claim unix ns>~<name>
//	<directory>/processed/     acknowledged files (after_process: move)
//	<directory>/failed/        undecodable files and files nacked with a permanent
//	                           error, each with a <name>.error.txt note
//
// A scan lists the inbox (regular files only; names ending in .tmp or
// .part and dot-files are skipped unless the pattern starts with a dot) in
// code-point order; in watch mode files younger than settle_age are left
// for a later scan. Each file is claimed by renaming it into processing/:
// only the replica whose rename succeeded reads it. A ".json" file becomes
// a message with its JSON text as payload; any other suffix becomes
// {"content": <text>, "path": <inbox path>}. The message position is
// "<name>@<size>:<mtime unix ns>".
//
// Settlement: Ack moves the file to processed/ (or deletes it); Nack with
// a permanent reason (integration.Permanent / Invalid) moves it to failed/
// with the note; any other Nack returns it to the inbox, where the next
// scan picks it up again. A file whose message was never settled (the
// process crashed) stays in processing/; the next Connect of any replica
// returns claims older than claim_lease to the inbox, so every file is
// delivered at least once.
//
// # JSON Lines publisher
//
//	p, _ := file.NewJSONLPublisher(file.JSONLOptions{Path: "/out/results.jsonl"}, component.Options{})
//	_ = p.Publish(ctx, integration.Outgoing{EventID: id, Body: body})
//	_ = p.Disconnect(ctx)
//
// Each message body is appended as one line; the file is fsynced at the
// end of every flush and messages count as delivered only after that.
package file
