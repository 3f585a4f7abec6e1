// Package units parses and prints the human-readable sizes ("64 MiB",
// "1GB") and durations ("30 s", "7 days") of Iggy's configuration and
// topic options. Both the configuration loader and the metadata state
// machine (topic options sent as strings) use it. It starts no goroutines
// and imports only the standard library.
package units
