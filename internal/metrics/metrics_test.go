package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

type parts struct{ st *metadata.State }

func (p parts) State() *metadata.State { return p.st }

func (p parts) Stats(_, _, partition uint32) metadata.PartitionStats {
	return metadata.PartitionStats{Messages: 10 + uint64(partition), Segments: 1}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// TestSeries checks the request, status and per-partition series a scrape
// shows.
func TestSeries(t *testing.T) {
	st := metadata.NewState()
	for _, op := range []metadata.Op{
		metadata.CreateStream{Name: "s"},
		metadata.CreateTopic{Stream: wire.NumericID(0), Partitions: 2, Shards: 1, Name: "t"},
	} {
		if r := st.Apply(metadata.Encode(op)); !r.OK() {
			t.Fatalf("%v: %v", op.Kind(), r.Status)
		}
	}
	m := New(parts{st})
	m.Request(wire.OpCreateStream)
	m.Status(wire.StatusOK)
	m.Status(wire.StatusStreamIdNotFound)
	out := scrape(t, m)
	for _, want := range []string{
		`shoal_requests_total{operation="` + wire.OpCreateStream.String() + `"} 1`,
		`shoal_replies_total{status="OK"} 1`,
		`shoal_partition_messages{partition="1",stream="0",topic="0"} 11`,
		`shoal_partition_segments{partition="0",stream="0",topic="0"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	notFound := fmt.Sprintf(`shoal_replies_total{status="%d %v"} 1`, uint64(wire.StatusStreamIdNotFound), wire.StatusStreamIdNotFound)
	if !strings.Contains(out, notFound) {
		t.Errorf("scrape lacks %s", notFound)
	}
}
