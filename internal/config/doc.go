// Package config is the server's configuration: the Config struct with
// Apache Iggy's section and key names for what Shoal supports, the embedded
// defaults (config.toml, which documents every key), loading in the order
// defaults → file → IGGY_* environment variables → --replica-id, and
// Validate.
//
// Unknown keys in a file and unknown IGGY_* environment variables are
// reported as warnings, never errors or panics; a value of the wrong type
// or out of range is an error that names the key (and the variable or file
// it came from).
//
// For a cluster ([cluster], cluster.go), every node reads the same file;
// ForReplica (replica.go) turns it into one node's effective configuration:
// its listeners' ports, its own data directory, its replica-plane address
// and its peers. Secrets (cluster.auth) are of type Secret, which never
// prints its value.
//
// It starts no goroutines and imports only the standard library,
// internal/units and go-toml.
package config
