package metrics

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// Metrics are the server's Prometheus series. Per-operation and
// per-status counters are resolved once, so the request path does no
// label lookup. Every method is safe for concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	Connections prometheus.Gauge
	Evictions   prometheus.Counter
	Replays     prometheus.Counter
	requests    [256]prometheus.Counter
	statuses    *prometheus.CounterVec
	ok          prometheus.Counter
	// SegmentsDeleted and SegmentsExpired count the segments
	// DeleteSegments and the cleaner removed.
	SegmentsDeleted, SegmentsExpired prometheus.Counter
}

// New returns the series, registered with a new registry along with the
// Go and process collectors and the per-partition gauges of parts.
func New(parts Partitions) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.Connections = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "shoal_client_connections", Help: "Client connections installed (logged in or not).",
	})
	m.Evictions = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "shoal_evictions_total", Help: "Eviction frames sent to clients.",
	})
	m.Replays = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "shoal_reply_cache_hits_total", Help: "Retried requests answered from the reply cache.",
	})
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shoal_requests_total", Help: "Client requests by operation.",
	}, []string{"operation"})
	for op := range m.requests {
		if o := wire.Operation(op); o.Valid() {
			m.requests[op] = reqs.WithLabelValues(o.String())
		}
	}
	m.statuses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shoal_replies_total", Help: "Replies by status.",
	}, []string{"status"})
	m.ok = m.statuses.WithLabelValues("OK")
	removed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shoal_segments_removed_total", Help: "Sealed segments removed, by cause: delete (DeleteSegments) or retention (the cleaner).",
	}, []string{"cause"})
	m.SegmentsDeleted, m.SegmentsExpired = removed.WithLabelValues("delete"), removed.WithLabelValues("retention")
	m.reg.MustRegister(m.Connections, m.Evictions, m.Replays, reqs, m.statuses, removed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newPartitionCollector(parts))
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// Request counts a request of operation op.
func (m *Metrics) Request(op wire.Operation) {
	if c := m.requests[op]; c != nil {
		c.Inc()
	}
}

// Status counts a reply with status s.
func (m *Metrics) Status(s wire.Status) {
	if s == wire.StatusOK {
		m.ok.Inc()
		return
	}
	m.statuses.WithLabelValues(strconv.FormatUint(uint64(s), 10) + " " + s.String()).Inc()
}

// Partitions is what the per-partition gauges read at scrape time: the
// committed metadata and each partition's counters.
type Partitions interface {
	State() *metadata.State
	Stats(stream, topic, partition uint32) metadata.PartitionStats
}

// partitionCollector exports every partition's counters at scrape time,
// labelled by stream, topic and partition id.
type partitionCollector struct {
	src                               Partitions
	messages, size, segments, current *prometheus.Desc
}

func newPartitionCollector(src Partitions) partitionCollector {
	labels := []string{"stream", "topic", "partition"}
	return partitionCollector{
		src:      src,
		messages: prometheus.NewDesc("shoal_partition_messages", "Messages a partition holds.", labels, nil),
		size:     prometheus.NewDesc("shoal_partition_size_bytes", "Bytes of a partition's segments.", labels, nil),
		segments: prometheus.NewDesc("shoal_partition_segments", "Segments of a partition.", labels, nil),
		current:  prometheus.NewDesc("shoal_partition_current_offset", "Offset of a partition's last message.", labels, nil),
	}
}

func (c partitionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.messages
	ch <- c.size
	ch <- c.segments
	ch <- c.current
}

func (c partitionCollector) Collect(ch chan<- prometheus.Metric) {
	type part struct {
		labels []string
		stats  metadata.PartitionStats
	}
	var parts []part
	s := c.src.State()
	s.Topics(func(t metadata.TopicInfo) {
		for _, p := range t.Partitions {
			parts = append(parts, part{
				labels: []string{strconv.FormatUint(uint64(t.Stream), 10), strconv.FormatUint(uint64(t.ID), 10), strconv.FormatUint(uint64(p.ID), 10)},
				stats:  c.src.Stats(t.Stream, t.ID, p.ID),
			})
		}
	})
	for _, p := range parts {
		ch <- prometheus.MustNewConstMetric(c.messages, prometheus.GaugeValue, float64(p.stats.Messages), p.labels...)
		ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(p.stats.SizeBytes), p.labels...)
		ch <- prometheus.MustNewConstMetric(c.segments, prometheus.GaugeValue, float64(p.stats.Segments), p.labels...)
		ch <- prometheus.MustNewConstMetric(c.current, prometheus.GaugeValue, float64(p.stats.CurrentOffset), p.labels...)
	}
}
