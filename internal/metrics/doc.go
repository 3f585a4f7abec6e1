// Package metrics holds the server's Prometheus series: connections,
// requests by operation, replies by status, evictions, reply-cache hits,
// removed segments and each partition's gauges, served on /metrics. It
// starts no goroutines; the partition gauges are read at scrape time.
// It imports internal/wire, internal/metadata and the Prometheus client.
package metrics
