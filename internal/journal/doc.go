// Package journal is Shoal's append-only record log: a single file of
// checksummed, length-prefixed records written through a vfs.FS. Append
// writes a record, Sync makes every appended record durable, and Open
// replays the file, truncating a torn tail and refusing to serve corruption
// in the middle. The metadata log is the first user; the VSR journal builds
// on the same format later.
//
// # File format
//
// Every integer is little-endian. A file is a 16-byte header followed by
// records back to back:
//
//	file = header[16] || record*
//
//	header:
//	off  size field
//	  0     8 magic     "SHOALJNL"
//	  8     4 version   u32 = 1
//	 12     4 check     u32: low 32 bits of XXH3-64(bytes 0..12)
//
//	record:
//	off  size field
//	  0     8 checksum  u64: XXH3-64 (seed 0) of bytes 8..12+length,
//	                    i.e. the length field and the payload
//	  8     4 length    u32: payload bytes, 0..Options.MaxRecordSize
//	 12     n payload   opaque to the journal
//
// The checksum covers the length, so a damaged length is caught like a
// damaged payload. A region of zeros never passes as a record (the
// checksum of four zero bytes is not zero). These constants are part of the
// disk format and must not be changed; a new layout gets a new version.
//
// # Recovery
//
// Open reads the records in order and hands each whole, verified record to
// the replay callback. At the first record that is incomplete or fails its
// checksum it decides between two cases:
//
//   - Torn tail: no verifiable record starts anywhere after the bad one.
//     This is what a crash during an unsynced append leaves. The file is
//     truncated to the end of the last good record and synced, and the torn
//     bytes are never served.
//   - Interior corruption: a verifiable record starts after the bad one, so
//     data that may have been acknowledged is damaged. Open fails with an
//     error for which IsCorrupt reports true and changes nothing.
//
// Two cases cannot be told apart from the bytes alone, and are resolved
// as follows. Damage confined to the last record (bit rot after it was
// synced) looks like a torn write and is truncated; Recovery.TornBytes
// reports it. And if a crash persisted a later unsynced record but not an
// earlier one (a disk may write unsynced pages in any order), Open reports
// interior corruption although no acknowledged record was lost: it errs on
// the side of refusing to start. Syncing after every append, as the
// metadata store does, leaves at most one unsynced record and avoids the
// second case.
//
// Records that were appended but not yet synced may survive a crash whole;
// they are replayed like any other record. The caller acknowledged none of
// them, so serving them breaks no promise (this is how a disk behaves).
// Records acknowledged after a successful Sync always survive, in order and
// exactly once.
//
// # Errors and durability
//
// A failed write, sync or truncate does not stop the journal for good: a
// full disk (ENOSPC) must not fail every later login until a restart. The
// call that failed returns its error, and the journal recovers at once,
// or, if it cannot yet, at the start of every later call until it can:
//
//   - After a failed write (or truncate), every sync so far succeeded and
//     only the failing write's bytes are unknown (it may have stored a
//     prefix). The file is truncated back to the end of the last whole
//     record and that truncation synced; the next Append retries.
//   - After a failed sync, the bytes written since the last successful
//     sync are of unknown state. Retrying the fsync proves nothing: Linux
//     may have marked the pages whose writeback failed clean, so a second
//     fsync succeeds without writing them, and reading them back reads
//     the page cache, not the disk (PostgreSQL's "fsyncgate", 2018; pebble
//     and TigerBeetle stop too). Staying failed until a restart does not
//     help either: the restarted process replays the same cached pages and
//     would trust them. So the journal discards them: it closes the file,
//     reopens it, truncates it back to the last synced record, syncs that
//     truncation (a metadata change the file system journals) and checks
//     the file's size and its last synced record again. Records appended
//     since the last successful Sync are dropped (Len falls back to
//     Synced); none was acknowledged (S12), so this is what a crash at
//     that moment would have done.
//
// While a recovery cannot complete (the truncation's sync fails too),
// every call returns the original error and retries it. A synced record
// found damaged during a recovery, or a file shorter than what was
// synced, is corruption: the journal then fails for good (IsCorrupt).
//
// # Goroutines and imports
//
// A Journal is not safe for concurrent use: one owner (the metadata shard,
// later the replica loop) calls it. It starts no goroutines and imports only
// the standard library, internal/vfs and the XXH3 module.
package journal
