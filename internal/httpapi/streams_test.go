package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

type topicDetails struct {
	ID                   uint32 `json:"id"`
	Name                 string `json:"name"`
	Size                 string `json:"size"`
	MessageExpiry        uint64 `json:"message_expiry"`
	CompressionAlgorithm string `json:"compression_algorithm"`
	MaxTopicSize         uint64 `json:"max_topic_size"`
	PartitionsCount      uint32 `json:"partitions_count"`
	MessagesCount        uint64 `json:"messages_count"`
	Partitions           []struct {
		ID            uint32 `json:"id"`
		CurrentOffset uint64 `json:"current_offset"`
		MessagesCount uint64 `json:"messages_count"`
		SegmentsCount uint32 `json:"segments_count"`
	} `json:"partitions"`
}

// TestStreamsAndTopics: every stream, topic, partition and segment route,
// with its refusals.
func TestStreamsAndTopics(t *testing.T) {
	e := start(t)
	var s struct {
		ID          uint32 `json:"id"`
		Name        string `json:"name"`
		TopicsCount uint32 `json:"topics_count"`
		Size        string `json:"size"`
		Topics      []any  `json:"topics"`
	}
	e.must(http.StatusOK, "POST", "/streams", e.root, map[string]string{"name": "orders"}).json(t, &s)
	if s.Name != "orders" || s.Size != "0 B" || s.Topics == nil {
		t.Fatalf("stream %+v", s)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusStreamNameAlreadyExists), "POST", "/streams", e.root, map[string]string{"name": "orders"})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidCommand), "POST", "/streams", e.root, map[string]string{"name": ""}) // as the binary decoder answers it
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "POST", "/streams", e.root, `{"name": 5}`)
	e.must(http.StatusOK, "GET", "/streams/orders", e.root, nil)
	e.must(http.StatusOK, "GET", "/streams/"+itoa(s.ID), e.root, nil)
	e.refused(http.StatusNotFound, 404, "GET", "/streams/nope", e.root, nil)
	var streams []struct {
		Name string `json:"name"`
	}
	e.must(http.StatusOK, "GET", "/streams", e.root, nil).json(t, &streams)
	if len(streams) != 1 {
		t.Fatalf("streams %+v", streams)
	}
	e.must(http.StatusNoContent, "PUT", "/streams/orders", e.root, map[string]string{"name": "sales"})
	e.refused(http.StatusNotFound, uint32(wire.StatusStreamIdNotFound), "PUT", "/streams/999", e.root, map[string]string{"name": "x"})

	// Topics.
	var td topicDetails
	e.must(http.StatusOK, "POST", "/streams/sales/topics", e.root, map[string]any{"name": "eu", "partitions_count": 3,
		"compression_algorithm": "gzip", "message_expiry": 60_000_000, "max_topic_size": 0, "replication_factor": 1}).json(t, &td)
	if td.Name != "eu" || td.PartitionsCount != 3 || len(td.Partitions) != 3 || td.CompressionAlgorithm != "gzip" ||
		td.MessageExpiry != 60_000_000 || td.MaxTopicSize != 1<<64-1 {
		t.Fatalf("topic %+v", td)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusTopicNameAlreadyExists), "POST", "/streams/sales/topics", e.root,
		map[string]any{"name": "eu", "partitions_count": 1})
	e.refused(http.StatusNotFound, 404, "POST", "/streams/nope/topics", e.root, map[string]any{"name": "x", "partitions_count": 1})
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidTopicSize), "POST", "/streams/sales/topics", e.root,
		map[string]any{"name": "x", "partitions_count": 1, "max_topic_size": true})
	e.must(http.StatusOK, "GET", "/streams/sales/topics/eu", e.root, nil)
	e.refused(http.StatusNotFound, 404, "GET", "/streams/sales/topics/us", e.root, nil)
	var topics []struct {
		Name string `json:"name"`
	}
	e.must(http.StatusOK, "GET", "/streams/sales/topics", e.root, nil).json(t, &topics)
	if len(topics) != 1 {
		t.Fatalf("topics %+v", topics)
	}
	e.refused(http.StatusNotFound, 404, "GET", "/streams/nope/topics", e.root, nil)
	e.must(http.StatusNoContent, "PUT", "/streams/sales/topics/eu", e.root, map[string]any{"name": "emea", "compression_algorithm": "none",
		"message_expiry": 120_000_000, "max_topic_size": "5 GB"})
	e.must(http.StatusOK, "GET", "/streams/sales/topics/emea", e.root, nil).json(t, &td)
	if td.CompressionAlgorithm != "none" || td.MessageExpiry != 120_000_000 || td.MaxTopicSize != 5_000_000_000 {
		t.Fatalf("updated topic %+v", td)
	}

	// Partitions and segments.
	e.must(http.StatusCreated, "POST", "/streams/sales/topics/emea/partitions", e.root, map[string]any{"partitions_count": 2})
	e.refused(http.StatusBadRequest, uint32(wire.StatusTooManyPartitions), "POST", "/streams/sales/topics/emea/partitions", e.root,
		map[string]any{"partitions_count": 0})
	e.must(http.StatusNoContent, "DELETE", "/streams/sales/topics/emea/partitions?partitions_count=1", e.root, nil)
	e.must(http.StatusOK, "GET", "/streams/sales/topics/emea", e.root, nil).json(t, &td)
	if td.PartitionsCount != 4 {
		t.Fatalf("partitions %d, want 4", td.PartitionsCount)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusInvalidFormat), "DELETE", "/streams/sales/topics/emea/partitions?partitions_count=x", e.root, nil)
	e.must(http.StatusNoContent, "DELETE", "/streams/sales/topics/emea/partitions/0?segments_count=1", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusPartitionNotFound), "DELETE", "/streams/sales/topics/emea/partitions/9", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusTopicIdNotFound), "DELETE", "/streams/sales/topics/nope/partitions/0", e.root, nil)

	// Purge and delete.
	e.must(http.StatusNoContent, "DELETE", "/streams/sales/topics/emea/purge", e.root, nil)
	e.must(http.StatusNoContent, "DELETE", "/streams/sales/purge", e.root, nil)
	e.must(http.StatusNoContent, "DELETE", "/streams/sales/topics/emea", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusTopicIdNotFound), "DELETE", "/streams/sales/topics/emea", e.root, nil)
	e.must(http.StatusNoContent, "DELETE", "/streams/sales", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusStreamIdNotFound), "DELETE", "/streams/sales", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusStreamIdNotFound), "DELETE", "/streams/sales/purge", e.root, nil)
}

// TestConsumerGroups: the group routes over HTTP.
func TestConsumerGroups(t *testing.T) {
	e := start(t)
	e.must(http.StatusOK, "POST", "/streams", e.root, map[string]string{"name": "s"})
	e.must(http.StatusOK, "POST", "/streams/s/topics", e.root, map[string]any{"name": "t", "partitions_count": 2})
	var g struct {
		ID              uint32 `json:"id"`
		Name            string `json:"name"`
		PartitionsCount uint32 `json:"partitions_count"`
		Members         []any  `json:"members"`
	}
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/consumer-groups", e.root, map[string]string{"name": "workers"}).json(t, &g)
	if g.Name != "workers" || g.PartitionsCount != 2 || g.Members == nil {
		t.Fatalf("group %+v", g)
	}
	e.refused(http.StatusBadRequest, uint32(wire.StatusConsumerGroupNameAlreadyExists), "POST", "/streams/s/topics/t/consumer-groups", e.root,
		map[string]string{"name": "workers"})
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/consumer-groups/workers", e.root, nil)
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/consumer-groups/"+itoa(g.ID), e.root, nil)
	e.refused(http.StatusNotFound, 404, "GET", "/streams/s/topics/t/consumer-groups/idle", e.root, nil)
	e.refused(http.StatusNotFound, 404, "GET", "/streams/s/topics/x/consumer-groups", e.root, nil)
	var list []struct {
		Name string `json:"name"`
	}
	e.must(http.StatusOK, "GET", "/streams/s/topics/t/consumer-groups", e.root, nil).json(t, &list)
	if len(list) != 1 {
		t.Fatalf("groups %+v", list)
	}
	e.must(http.StatusNoContent, "DELETE", "/streams/s/topics/t/consumer-groups/workers", e.root, nil)
	e.refused(http.StatusNotFound, uint32(wire.StatusConsumerGroupIdNotFound), "DELETE", "/streams/s/topics/t/consumer-groups/workers", e.root, nil)
}
