package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

// statusOf is the reply status a binary-protocol call ended with.
func statusOf(err error) wire.Status {
	var se *wire.Error
	if errors.As(err, &se) {
		return se.Status
	}
	if err != nil {
		return wire.StatusError
	}
	return wire.StatusOK
}

// TestLimitedUserSameAsTCP: a user who may read stream s and poll its
// topics, and nothing else, is refused the same operations with the same
// code over HTTP (403, id 41) as over TCP (status 41), and allowed the
// same ones.
func TestLimitedUserSameAsTCP(t *testing.T) {
	e := start(t)
	setupTopic(e) // stream s (id 0), topic t
	e.must(http.StatusCreated, "POST", "/streams/s/topics/t/messages", e.root, sendJSON(0, "m"))
	e.must(http.StatusOK, "POST", "/users", e.root, map[string]any{"username": "reader", "password": "reader-pass",
		"permissions": map[string]any{"global": map[string]bool{},
			"streams": map[string]any{"0": map[string]bool{"read_stream": true, "read_topics": true, "poll_messages": true}}}})
	tok := e.login("reader", "reader-pass")
	c := e.tcp("reader", "reader-pass")
	ctx := context.Background()
	s, tp := client.NamedID("s"), client.NamedID("t")
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		tcp    func() error
	}{
		{"create stream", "POST", "/streams", map[string]string{"name": "x"}, func() error { _, err := c.CreateStream(ctx, "x"); return err }},
		{"list streams", "GET", "/streams", nil, func() error { _, err := c.GetStreams(ctx); return err }},
		{"read stream", "GET", "/streams/s", nil, func() error { _, err := c.GetStream(ctx, s); return err }},
		{"rename stream", "PUT", "/streams/s", map[string]string{"name": "y"}, func() error { return c.UpdateStream(ctx, s, "y") }},
		{"delete stream", "DELETE", "/streams/s", nil, func() error { return c.DeleteStream(ctx, s) }},
		{"create topic", "POST", "/streams/s/topics", map[string]any{"name": "u", "partitions_count": 1},
			func() error { _, err := c.CreateTopic(ctx, s, "u", 1, nil); return err }},
		{"read topic", "GET", "/streams/s/topics/t", nil, func() error { _, err := c.GetTopic(ctx, s, tp); return err }},
		{"delete topic", "DELETE", "/streams/s/topics/t", nil, func() error { return c.DeleteTopic(ctx, s, tp) }},
		{"create partitions", "POST", "/streams/s/topics/t/partitions", map[string]any{"partitions_count": 1},
			func() error { return c.CreatePartitions(ctx, s, tp, 1) }},
		{"delete segments", "DELETE", "/streams/s/topics/t/partitions/0", nil, func() error { return c.DeleteSegments(ctx, s, tp, 0, 1) }},
		{"send", "POST", "/streams/s/topics/t/messages", sendJSON(0, "no"), func() error {
			_, err := c.SendMessages(ctx, s, tp, client.PartitionID(0), []client.Message{{Payload: []byte("no")}})
			return err
		}},
		{"poll", "GET", "/streams/s/topics/t/messages?partition_id=0", nil, func() error {
			_, err := c.PollMessages(ctx, s, tp, client.ConsumerID(wire.NumericID(1)), 0, client.PollFromOffset(0), 1, false)
			return err
		}},
		{"store offset", "PUT", "/streams/s/topics/t/consumer-offsets", map[string]any{"consumer_id": 1, "partition_id": 0, "offset": 0},
			func() error { return c.StoreConsumerOffset(ctx, client.ConsumerID(wire.NumericID(1)), s, tp, 0, 0) }},
		{"create user", "POST", "/users", map[string]string{"username": "z1z", "password": "z1z-pass"},
			func() error { _, err := c.CreateUser(ctx, "z1z", "z1z-pass", wire.UserActive); return err }},
		{"list users", "GET", "/users", nil, func() error { _, err := c.Users(ctx); return err }},
		{"delete root", "DELETE", "/users/0", nil, func() error { return c.DeleteUser(ctx, client.NumericID(0)) }},
	}
	for _, tc := range cases {
		r := e.do(tc.method, tc.path, tok, tc.body)
		tcpStatus := statusOf(tc.tcp())
		httpStatus := wire.StatusOK
		if r.code >= 300 {
			httpStatus = wire.Status(r.errorID(t))
		}
		if httpStatus != tcpStatus {
			t.Errorf("%s: HTTP %d (%v), TCP %v", tc.name, r.code, httpStatus, tcpStatus)
		}
		if httpStatus == wire.StatusUnauthorized && r.code != http.StatusForbidden {
			t.Errorf("%s: refused with %d, want 403", tc.name, r.code)
		}
	}
	// The grants decide, not the protocol: this stream's reads and polls pass
	// (listing every stream takes the global read_streams), writes do not.
	for _, allowed := range []string{"read stream", "read topic", "poll", "store offset"} {
		for _, tc := range cases {
			if tc.name == allowed && e.do(tc.method, tc.path, tok, tc.body).code >= 300 {
				t.Errorf("%s refused to a user allowed it", allowed)
			}
		}
	}
}
