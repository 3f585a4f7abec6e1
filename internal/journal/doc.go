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
// A failed write, sync or truncate poisons the Journal: every later call
// returns the same error, because after a failed fsync the file's state is
// unknown (vfs rule 4). Reopening the file recovers from it.
//
// # Goroutines and imports
//
// A Journal is not safe for concurrent use: one owner (the metadata shard,
// later the replica loop) calls it. It starts no goroutines and imports only
// the standard library, internal/vfs and the XXH3 module.
package journal
