// Package metadata is Shoal's deterministic metadata state machine. Every
// change to users, tokens, sessions, streams, topics, partitions and
// consumer groups is an operation encoded as bytes (Encode), committed by
// the metadata consensus group (internal/metagroup: a VSR prepare, durable
// on a replication quorum) and then applied on every replica by
// Store.Commit. Apply is pure: no clock, no randomness, no I/O, no map
// iteration that decides anything; timestamps and password salts are chosen
// by the proposer and travel inside the operation. Store.Commit publishes
// each committed state as an immutable value that readers load without a
// lock.
//
// Before the metadata moved to the VSR log a Store kept its own journal
// (Open, Propose, JournalPath); LoadJournal still reads one, as the base
// state a standalone node's group starts from.
//
// # Operation encoding
//
// Every integer is little-endian. An encoded operation is:
//
//	off  size field
//	  0     1 version   u8 = 1 (EncodingVersion)
//	  1     1 kind      u8: Kind, equal to the wire.Operation of the same name
//	  2     n body      by kind, below
//
// Primitive fields: str8 is [len u8][bytes]; bytes32 is [len u32][bytes];
// a PasswordHash is
//
//	off  size field
//	  0     1 algorithm u8 = 1 (argon2id, version 0x13)
//	  1     4 time      u32: iterations, >= 1
//	  5     4 memory    u32: KiB, >= 8
//	  9     1 threads   u8: lanes, >= 1
//	 10     1 salt_len  u8: 8..64
//	 11     s salt
//	  .     1 key_len   u8: 16..64
//	  .     k key       argon2id(password, salt, time, memory, threads, key_len)
//
// Bodies:
//
//	CreateUser (141):        [timestamp u64 µs][status u8][username str8][password PasswordHash][permissions bytes32]
//	UpdateUser (142):        [user_id u32][flags u8: 1 username, 2 status][username str8 if flag 1][status u8 if flag 2]
//	DeleteUser (143):        [user_id u32]
//	ChangePassword (144):    [user_id u32][password PasswordHash]
//	UpdatePermissions (145): [user_id u32][permissions bytes32]
//	CreatePersonalAccessToken (146): [user_id u32][name str8][sha256 32 bytes][expiry_at u64 µs, 0 never]
//	DeletePersonalAccessToken (147): [user_id u32][name str8]
//	Register (1):            [client u128][user_id u32][timestamp u64 µs]
//	Logout (3):              [client u128][epoch u64]
//	CreateStream (128):      [timestamp u64][name str8]
//	UpdateStream (129):      [stream ident][name str8]
//	DeleteStream (130):      [stream ident]
//	PurgeStream (131):       [stream ident]
//	CreateTopic (132):       [timestamp u64][stream ident][partitions u32][shards u32][name str8][options]
//	UpdateTopic (133):       [stream ident][topic ident][name str8][options]
//	DeleteTopic (134):       [stream ident][topic ident]
//	PurgeTopic (135):        [stream ident][topic ident]
//	CreatePartitions (136):  [timestamp u64][stream ident][topic ident][count u32][shards u32]
//	DeletePartitions (137):  [stream ident][topic ident][count u32]
//	CreateConsumerGroup (139): [stream ident][topic ident][name str8]
//	DeleteConsumerGroup (140): [stream ident][topic ident][group ident]
//	JoinConsumerGroup (148):   [stream ident][topic ident][group ident][client u128]
//	LeaveConsumerGroup (149):  [stream ident][topic ident][group ident][client u128]
//
// ident is a wire Identifier, [kind u8 (1 numeric, 2 name)][len u8][value],
// resolved when the operation is applied. options is [explicit u8], a bit
// per catalog key in DescribeOptions order (bit 0 compression_algorithm ..
// bit 7 preallocate_segments), then each set key's value in that order:
// compression u8 (1 none, 2 gzip), message_expiry u64, max_topic_size
// u64, segment_size u64, enforce_fsync u8, messages_required_to_save u32,
// size_of_messages_required_to_save u64, preallocate_segments u8.
// Partitions are placed on shards round robin (a cursor over every
// partition created); the shard count travels in the operation.
//
// Register's session epoch is the consensus op that committed it
// (Store.Commit; the client's VSR session), or, in a journal written before
// the metadata moved to the VSR log (LoadJournal), its 1-based index among
// applied operations. Either way it is unique, increasing and the same on
// every replica and replay.
//
// permissions are journaled as the bytes of Iggy's permissions body (empty
// means none). The state also keeps them decoded (wire.Permissions), so a
// request's authorization does not decode them again; a body that does not
// decode grants nothing. A body must be consumed exactly; trailing bytes make
// the operation invalid. These layouts are part of the disk format and must
// not be changed; a new layout gets a new EncodingVersion.
//
// # Extending
//
// Streams, topics, partitions, consumer groups and consumer offsets slot in
// the same way users do: a Kind constant (already declared, aligned with
// wire.Operation), an Op type with appendBody and a decoder registered in
// decoders, check and apply methods on State, and fields in State. Kinds
// without a handler are rejected with StatusFeatureUnavailable, which is
// itself deterministic.
//
// # Goroutines and imports
//
// A State being applied is not safe for concurrent use; a committed one is
// immutable and read by any goroutine without a lock (cow.go). Store
// serialises proposals with a mutex, publishes each committed State
// atomically, and starts no goroutines. The package
// imports the standard library, internal/journal, internal/vfs,
// internal/wire (status codes and operation numbers), internal/units (byte sizes
// and durations, for topic options sent as strings),
// golang.org/x/crypto (argon2) and the XXH3 module.
package metadata
