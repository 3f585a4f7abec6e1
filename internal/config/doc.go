// Package config is the server's configuration: the Config struct with
// Apache Iggy's section and key names for what Shoal supports, the embedded
// defaults (config.toml, which documents every key), loading in the order
// defaults → file → IGGY_* environment variables, and Validate.
//
// Unknown keys in a file and unknown IGGY_* environment variables are
// reported as warnings, never errors or panics; a value of the wrong type
// or out of range is an error that names the key (and the variable or file
// it came from).
//
// It starts no goroutines and imports only the standard library and
// go-toml.
package config
