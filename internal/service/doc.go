// Package service holds Shoal's operations, typed, for every front end:
// the binary protocol (internal/server) and the HTTP API call the same
// methods, so an operation is implemented, validated and authorized once.
//
// Methods take the request bodies as the wire package decodes them
// (wire.CreateTopic, wire.UpdateUser, ...). What a body carries for the
// metadata to parse, an options block, is checked first, before the
// caller's permissions as in Iggy, and a refusal is answered through done.
//
// Writes (users, tokens, sessions, streams, topics, partitions, consumer
// groups) run one at a time on the metadata writer, a goroutine the
// Service owns: it checks the caller's permissions on the committed state,
// creates the partitions an operation adds on this node first
// (Storage.Create, on a preview of its apply; a failure refuses the
// operation), proposes it to the metadata log (Log: the metadata consensus
// group, internal/metagroup, which commits it on a replication quorum and
// applies it, with its partition effects, on every replica: S12), and
// then calls the operation's done exactly once with the outcome and the
// committed state it produced. On a backup the log refuses and the
// operation is answered TransientNotAccepted (58), except logins and
// logouts, which are forwarded to the primary. Password hashing and
// checking (argon2) run off the writer, on a pool of bounded size and
// queue. Reads take the committed state, which is immutable and needs no
// lock.
//
// The data plane (sends, polls, consumer offsets, segment deletion) runs
// on the shard that owns each partition, which only the server reaches;
// data.go decides for it, once for every front end, which topic and
// partition a request names, whether the caller may do it and whose offset
// it addresses (Route).
//
// A method that returns an error (ErrBusy, ErrPasswordsBusy, ErrClosed)
// has not taken the operation and will not call done: the caller answers
// it.
//
// Goroutines: the writer, and the password pool's workers (auth.Pool);
// Close waits for all of them. Imports: internal/metadata,
// internal/metagroup (its errors), internal/auth, internal/partition
// (consumer keys), internal/wire.
package service
