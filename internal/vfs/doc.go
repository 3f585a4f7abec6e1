// Package vfs is Shoal's only way to reach the disk. FS and File are the
// narrow set of file operations the storage layers need (create, open,
// append, read at an offset, fsync, truncate, rename, remove, list, stat,
// and directory fsync); Default implements them on the operating system's
// files, MemFS keeps them in memory for tests and can simulate a crash that
// loses every write not yet synced, WithErrors wraps any FS to inject
// errors by operation and path (OnNth for ENOSPC on write N or a failed
// fsync N, Switch for a disk that fills up and is freed), and
// WithOpenLimit models a file descriptor limit.
//
// # Durability contract
//
// Every implementation follows the same rules, and code above vfs may rely
// on nothing more:
//
//  1. File.Write appends at the end of the file. Data written is readable at
//     once but is durable only after File.Sync returns nil.
//  2. A new directory entry (Create, OpenReadWrite creating a file, Rename,
//     Remove) is durable only after FS.SyncDir on its parent returns nil.
//  3. MkdirAll returns only after every directory it created is durable.
//  4. After a failed Sync the state of the file on disk is unknown; callers
//     must not retry the Sync and treat its data as acknowledged (pebble and
//     PostgreSQL's fsyncgate lesson: Linux may mark the unwritten pages
//     clean, so a second fsync succeeds without writing them). Storage
//     layers discard every byte written since their last successful Sync
//     (truncate, through a freshly opened file, and sync the truncation)
//     before they go on, or stay failed.
//
// # Goroutines and imports
//
// vfs starts no goroutines. Default and MemFS are safe for concurrent use;
// a single File is not. It imports only the standard library.
package vfs
