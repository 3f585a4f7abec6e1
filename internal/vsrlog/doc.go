// Package vsrlog is a replica's durable VSR state: the prepares journal
// and the superblock that internal/vsr's Ready/Advance contract asks a
// shell to persist (vsr package doc, step 3). Persist carries out one
// Ready's disk work in the required order; Open reads everything back for
// vsr.Restart after a crash. It replaces nothing by itself: a replica
// shell owns one Log per consensus group (issue #14).
//
// # Directory layout
//
//	<dir>/prepares.jnl       the prepares journal: an internal/journal file
//	<dir>/superblock.0       superblock copy for even sequence numbers
//	<dir>/superblock.1       superblock copy for odd sequence numbers
//	<dir>/checkpoint-<op>    the checkpoint the superblock names (vsr's
//	                         Ready.Checkpoint bytes, opaque here)
//	<dir>/*.tmp              a file being written; removed by Open
//
// # Prepares journal (prepares.jnl)
//
// The file is an internal/journal record log (its own 16-byte header,
// then records of XXH3-64 checksum, u32 length and payload; see that
// package). Every payload starts with a 16-byte head; every integer is
// little-endian:
//
//	off  size field
//	  0     1 kind      u8: 1 = base, 2 = prepare, 3 = truncate
//	  1     7 reserved  zero
//	  8     8 op        u64
//	 16     n frame     kind 2 only: one whole Prepare frame, as sealed or
//	                    identity-stamped on the wire (wire.VerifyPrepare
//	                    passes; its header's op and size match)
//
//	kind 1 base      the first record of the file, and only there. op is
//	                 the base op: prepares at or below it are not in this
//	                 file. It is 0 until the first checkpoint; a compacted
//	                 file starts with the checkpoint op.
//	kind 2 prepare   op holds this frame. A later record for the same op
//	                 replaces it.
//	kind 3 truncate  every prepare above op, written before this record,
//	                 is gone (a view change discarded an uncommitted
//	                 suffix). op >= base.
//
// Records are only ever appended: a truncation is a record, not a cut of
// the file, because prepares are not stored in op order (a backup writes
// op k+1 before a repaired op k), so cutting the file at the first op
// above the truncation point could drop acknowledged prepares below it.
// Open replays the records in file order and returns the live prepares in
// ascending op order. These constants are part of the disk format and
// must not be changed; a new layout gets a new version.
//
// # Superblock (superblock.0, superblock.1)
//
// Each copy file holds one encoded hard state (the durable part of a vsr
// replica: view, log_view, commit, the view headers and the checkpoint)
// and nothing else:
//
//	off  size field
//	  0     8 checksum       u64: XXH3-64 (seed 0) of bytes 8..end
//	  8     8 magic          "SHOALVSB"
//	 16     4 version        u32 = 2
//	 20     4 count          u32: view headers, 0..128
//	 24     8 sequence       u64: 0 for the copy Open creates, +1 per write
//	 32     4 view           u32
//	 36     4 log_view       u32, <= view
//	 40     8 commit         u64
//	 48     8 checkpoint     u64: op of the checkpoint; 0 none
//	 56    16 cp_checksum    u128: identity checksum of that op
//	 72     8 cp_size        u64: size of checkpoint-<op>; 0 iff none
//	 80     8 cp_xxh3        u64: XXH3-64 of checkpoint-<op>
//	 88     8 reserved       zero
//	 96 256*count            view headers: PrepareHeaders as on the wire,
//	                         ascending op, each with a valid identity checksum
//
// The file is exactly 96 + 256*count bytes. Version 1 (written before
// checkpoints) had 16 reserved zero bytes at 48 and its headers at 64; Open
// reads it as a hard state without a checkpoint, and the next write is
// version 2. Sequence n is written to copy
// n%2, in place (truncate to zero, write, fsync), so a torn write can
// damage only the copy that does not hold the newest durable state. Open
// reads both copies and takes the valid one with the higher sequence; a
// copy that is empty or fails any check is ignored (and overwritten by
// the next write). A write that fails is retried on the same copy with
// the same sequence. Copy 0 is created by Open, with sequence 0 and the
// zero hard state, through a synced temporary file renamed into place;
// copy 1 on the first write. These constants are part of the disk format
// and must not be changed.
//
// # Recovery and corruption
//
// Open never serves damaged data and never silently drops acknowledged
// data. A torn journal tail (a crash during an unsynced append) is
// truncated and reported in Recovery.TornBytes. Everything else is a
// *CorruptError (IsCorrupt): a journal record that passes its checksum
// but breaks the record rules above, interior journal damage (see
// internal/journal), no valid superblock copy while either copy file
// exists, a journal without its base record (or missing) while the
// superblock shows a completed write, prepares without any superblock,
// and two valid copies that contradict each other (sequences that are not
// consecutive, or the newer one with a lower view or log_view). A copy
// holding a sequence of the wrong parity for its file is not valid.
//
// One Persist appends several records and fsyncs once. A disk that
// persists unsynced pages out of order can leave a later record of that
// batch whole and an earlier one torn; the journal cannot tell this from
// damage to acknowledged data and Open refuses it as corruption (see
// internal/journal, "Recovery"): safe, but the replica then needs its
// directory restored or rebuilt. The in-memory crash model (vfs.MemFS)
// keeps unsynced bytes only as a prefix, so the tests cover the torn
// tail, not this case.
//
// # Checkpoints and compaction
//
// An Update with Checkpoint bytes (vsr's Ready.Checkpoint) names a new
// checkpoint in its hard state. Persist writes checkpoint-<op> first
// (temporary file, fsync, rename, directory fsync), then the journal
// records and the superblock that names it (with its size and XXH3), and
// only then compacts: the live prepares above the checkpoint are read
// back from the journal and written after a base record at the
// checkpoint op to prepares.jnl.tmp (fsync), which is renamed over
// prepares.jnl (directory fsync); then the previous checkpoint file is
// removed. A crash at any point leaves a superblock that names a
// checkpoint whose file is whole, and a journal whose base is at or below
// it: Open ignores prepares at or below the checkpoint (a journal the
// crash left uncompacted) and removes checkpoint files the superblock does
// not name and temporary files. A journal based above the superblock's
// checkpoint, or a named checkpoint file that is missing or does not
// match its size and XXH3, is corruption. Memory and restart time are
// bounded by the checkpoint interval: the journal holds the ops above the
// latest checkpoint (or, after such a crash, the previous one).
//
// # Persist order and errors
//
// Persist follows the vsr package doc, step 3: checkpoint file, truncate
// record, prepare records, one journal fsync, then, if the hard state
// changed, the superblock copy and its fsync, then the compaction. A
// failed compaction (the hard state is durable) returns an error after
// which the Log must be closed and opened again. Only when it returns nil may the shell
// call Advance. A failed Persist acknowledges nothing: the journal and
// the superblock recover from the I/O failure themselves (a failed
// journal fsync drops every unsynced record, internal/journal
// "Errors and durability"; a failed superblock write is retried on the
// same copy), and Persist of the same Update may be retried: records it
// writes twice are idempotent. What a failed Persist left durable is
// what a crash in its middle would have left, which vsr.Restart handles.
//
// View and LogView never decrease and LogView <= View: a hard state that
// breaks this, a malformed entry or more than 128 view headers is a
// caller bug and panics before anything is written.
//
// # Goroutines and imports
//
// A Log is not safe for concurrent use: one owner (the replica loop)
// calls it. The package starts no goroutines. It imports the standard
// library, internal/vfs, internal/journal, internal/wire and the XXH3
// module; not internal/vsr: HardState has vsr.HardState's fields, so the
// two convert with a plain conversion (a test checks it), and Update
// carries the fields of vsr.Ready that must be durable.
package vsrlog
