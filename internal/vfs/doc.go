// Package vfs is Shoal's only way to reach the disk. FS and File are the
// narrow set of file operations the storage layers need (create, open,
// append, read at an offset, fsync, truncate, rename, remove, list, stat,
// and directory fsync); Default implements them on the operating system's
// files, MemFS keeps them in memory for tests and can simulate a crash that
// loses every write not yet synced, and WithErrors wraps any FS to inject
// errors by operation and path.
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
//     PostgreSQL's fsyncgate lesson). Storage layers poison themselves.
//
// # Goroutines and imports
//
// vfs starts no goroutines. Default and MemFS are safe for concurrent use;
// a single File is not. It imports only the standard library.
package vfs
