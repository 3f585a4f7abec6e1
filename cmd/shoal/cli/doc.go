// Package cli implements the shoal command: one file per subcommand, all
// sharing the connection flags of conn.go. It starts no goroutines of its
// own (the client's heartbeat is off for one-shot commands) and imports the
// public client package and internal/wire.
package cli
