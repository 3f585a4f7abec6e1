// Package partition is one partition's durable message log: segment files
// holding message batches exactly as the wire carries them, a sparse index
// per segment, and the partition's consumer offsets, all written through a
// vfs.FS under the partition's directory. Append stamps and stores a batch
// that wire.SendMessages.Decode admitted; Poll and Read serve PollMessages
// replies; Open recovers after a crash.
//
// # Directory layout
//
// A partition's directory is Dir(dataDir, stream, topic, partition):
// <dataDir>/streams/<s>/topics/<t>/partitions/<p>. Create opens a fresh
// partition (wiping what a deleted one with the same reused ids left);
// RemoveAll removes a partition, topic or stream directory durably.
//
//	<dir>/00000000000000000000.log     sealed segment whose first offset is 0
//	<dir>/00000000000000000000.index   its sparse index
//	<dir>/00000000000000004096.log     active segment, first offset 4096
//	<dir>/offsets.log                  consumer offsets (an internal/journal file)
//	<dir>/purging                      present only while a Purge runs
//	<dir>/truncating                   present only while a TruncateTo runs
//
// A segment is named after its base offset: 20 decimal digits, zero padded,
// so names sort in offset order. The last segment is the active one; every
// other segment is sealed and never written again, unless TruncateTo cuts
// it and so makes it the last one, and active, again.
//
// # Segment file (.log)
//
// Batch records back to back, nothing else: no file header, no padding.
// Each record is the 256-byte batch header of wire.md §3.3 followed by its
// message frames (48-byte header, payload, user headers), byte for byte as
// SendMessages carried it, except for four header fields Append stamps:
//
//	off  size field
//	  0     8 partition_id     u64: the partition's id
//	  8     8 base_offset      u64: offset of the batch's first message
//	 16     8 base_timestamp   u64 µs: the append time, never below the
//	                           previous batch's (timestamps are monotonic)
//	 24     8 origin_timestamp u64 µs, as sent
//	 32     8 batch_length     u64: 256 + frame bytes, as sent
//	 40     8 batch_checksum   u64: recomputed over the stamped fields
//	 48     4 message_count    u32 >= 1, as sent
//	 52   204 reserved         zero
//
// A message's offset is base_offset + its index in the batch; the frames
// keep their offset_delta, timestamp_delta and checksum untouched. Batches
// tile the file: batch i+1 starts at the end of batch i and its base_offset
// is batch i's base_offset + message_count.
//
// # Index file (.index)
//
// One 16-byte entry per batch of the segment, in order:
//
//	off  size field
//	  0     4 relative_offset u32: base_offset - segment base offset
//	  4     4 position        u32: byte position of the batch in the .log
//	  8     8 timestamp       u64 µs: the batch's base_timestamp
//
// The index is derived data. The active segment's index is kept in
// memory only and rebuilt from its log on every Open (an .index file left
// beside the active log, by an older build or an interrupted roll-over,
// is ignored and overwritten). A segment's index file is written and
// synced when the segment is sealed, before the next segment is created,
// and checked against its log on Open (rebuilt from the batch headers if
// it does not match); TruncateTo removes it when it makes a sealed segment
// active again. These constants are part of the disk format and must not
// be changed.
//
// # File descriptors
//
// An idle partition holds two files open: its active segment's log and
// offsets.log. Sealed segments are opened when a read reaches them,
// through a FileCache shared by the partitions that name it in their
// Config (a process-wide one of DefaultOpenSealedFiles by default). The
// cache closes the least recently used sealed file not being read when it
// is full, so a server's descriptors grow with its partitions (2 each)
// plus the cache's limit, not with the segments on disk, and a restart
// under RLIMIT_NOFILE opens every partition.
//
// # Consumer offsets (offsets.log)
//
// An internal/journal file of 14-byte records, replayed in order:
//
//	off  size field
//	  0     1 op       u8: 1 store, 2 delete
//	  1     1 kind     u8: wire.ConsumerKind (1 consumer, 2 group)
//	  2     4 id       u32: consumer id or group id
//	  6     8 offset   u64: the stored offset (0 for delete)
//
// When the file holds many more records than live offsets it is rewritten
// (to offsets.log.tmp, synced, renamed over, directory synced).
//
// Purge creates the purging marker durably, removes every segment and the
// offsets log, creates segment 0 and removes the marker; Open finishes a
// purge whose marker it finds, so a crash leaves all or nothing.
//
// DeleteSegments removes the oldest sealed segments, each log then its
// index, oldest first, then syncs the directory: a crash leaves a prefix
// removed, and Open drops an index whose log is gone.
//
// TruncateTo(next) drops every message at next and above (the cluster
// rebuilding a partition from a checkpoint): it creates the truncating
// marker (holding next) durably, removes the segments above the one
// holding next, cuts that one's log at next's batch and syncs it, removes
// its index (it is active now), syncs the directory and removes the
// marker. Open finishes a truncation whose marker it finds: it removes
// every segment above next before loading (whichever the crash left),
// then cuts the last one, so a crash leaves all or nothing.
//
// # Durability
//
// Append writes the batch and then syncs the segment file when the policy
// says so: after every batch with EnforceFsync, otherwise once
// MessagesRequiredToSave messages or SizeRequiredToSave bytes have been
// written since the last sync. AppendResult.Durable and DurableOffset
// report what is synced; a server acknowledges a produce under enforced
// fsync only once its batch is durable (S12).
//
// # Recovery: torn tail or corruption
//
// Open verifies every batch of the active segment in order: layout, every
// checksum, partition id, base offset continuity and timestamps that never
// go back. At the first batch B that fails, at byte position pos, it
// decides between two cases by looking at the bytes after B:
//
//   - Corruption: some position after pos starts a batch that verifies
//     whole (its header, batch checksum and every message checksum), is
//     stamped with this partition's id, a base offset above B's expected
//     one and a timestamp not below the previous batch's. Data written
//     after B, which may have been acknowledged, exists, so B is damage
//     inside the log, not an interrupted write. Open fails with a
//     *CorruptError (IsCorrupt) naming the file and pos, truncates
//     nothing, and the partition is not served until the operator
//     restores the files.
//   - Torn tail: no such batch follows; B's bytes run to the end of the
//     file. This is what a crash during an unsynced append leaves. The
//     file is truncated at pos and the truncation synced; Recovery reports
//     TornFile, TornOffset and TornBytes for the server to log.
//
// The rule cannot tell two cases from the bytes alone. Damage confined to
// the last batch (bit rot after it was synced) looks like a torn write and
// is truncated; Recovery reports it. And if a crash persisted a later
// unsynced batch but not an earlier one (a disk may write unsynced pages
// in any order), Open reports corruption although nothing acknowledged was
// lost: it errs on the side of refusing to serve. The active segment has
// no durable record of its last fsynced length that could settle either.
//
// Sealed segments were synced whole before they were sealed, so every
// byte of them may have been acknowledged and none is ever truncated.
// Open checks each sealed index against its log (the last entry must name
// a batch that ends the file and the segment); an index that does not
// match is derived data and is rebuilt from the batch headers
// (Recovery.IndexesRebuilt), and a header that does not tile the file
// fails Open with a *CorruptError. Payload damage in a sealed segment is
// found by Read, which verifies every batch it serves and returns a
// *CorruptError naming the file and position, never wrong messages. The
// consumer offsets log follows internal/journal's equivalent rule
// (journal.IsCorrupt, which IsCorrupt includes).
//
// A batch that was written but not yet synced may survive a crash whole,
// as on any disk; it was never acknowledged, and it is served after
// recovery like any other batch (at-least-once, as Iggy and Kafka).
//
// # Write failures
//
// A failed write or fsync does not stop the partition until a restart: a
// full disk must not. The Append (or Sync) that failed returns the error
// and its batch is not acknowledged (StatusOf gives
// StatusCannotSaveMessagesToSegment); the partition recovers at once, or,
// if it cannot yet, at the start of every later mutating call until it
// can. The rules are internal/journal's, for the same reasons:
//
//   - After a failed write, every sync so far succeeded and only the
//     failing write's bytes are unknown (it may have stored a prefix). The
//     active log is truncated back to the end of the last whole batch and
//     the truncation synced, which also makes the earlier unsynced batches
//     durable; the next Append gets the offset the failed one did not.
//   - After a failed fsync, the batches written since the last successful
//     sync are of unknown state. A second fsync would not tell: Linux may
//     have marked the pages whose writeback failed clean, and reading them
//     back reads the page cache (PostgreSQL's "fsyncgate"); a restart would
//     replay the same cached pages too. So the partition reopens the active
//     log, truncates it back to the last synced batch, syncs that, and
//     checks the log's size and last synced batch again. The dropped
//     batches' offsets are given again, as after a crash: under
//     EnforceFsync none of them was acknowledged; without it they were
//     acknowledged as not durable (AppendResult.Durable false) and may
//     have been served, exactly what a crash at that moment would lose.
//   - A roll-over that fails before the new segment's log exists leaves
//     the active segment as it was (an index file it wrote beside the
//     active log is ignored); once the new log exists, a failed directory
//     sync is retried before anything is written to it.
//
// A synced batch found damaged during a recovery, or a log shorter than
// what was synced, is corruption: the partition then fails for good
// (IsCorrupt). A consumer-offset store or delete that fails is not applied
// (the offsets log is an internal/journal file and recovers the same
// way); a compaction of the offsets log that fails keeps the old log, or
// finishes switching to the new one before the next store. A failed
// DeleteSegments or Purge, or a TruncateTo that fails once its marker is
// written, stops the partition until it is reopened.
//
// Create is atomic: if it fails at any step it removes the partition's
// directory before it returns, so nothing is left behind.
//
// # Goroutines and imports
//
// A Partition is not safe for concurrent use: its owning shard's goroutine
// calls it (S5). A FileCache is shared by partitions on every shard and is
// safe for concurrent use; its lock is never held while a file is opened
// and no other lock is taken under it. The package starts no goroutines
// and imports the standard library, internal/vfs, internal/journal and
// internal/wire.
package partition
