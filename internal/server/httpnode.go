package server

import (
	"context"
	"encoding/base64"
	"net"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/httpapi"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/partition"
	"github.com/shoal-io/shoal/internal/replica"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"

	"lukechampine.com/blake3"
)

// httpNode is what the HTTP API (internal/httpapi) reaches of the server:
// the data plane on the partitions' owner shards and the node's own reads.
// A request runs exactly the binary protocol's partition path (the same
// service routing, partWork and partition code, S5), posted on the owner's
// data lane from the HTTP handler's goroutine; its answer comes back
// through a callback the owner runs (partWork.detached) instead of a
// connection's reply lane. Safe for concurrent use.
type httpNode struct {
	srv *Server
	rr  sync.Map // partKey{stream, topic} → *atomic.Uint32: the balanced cursor of HTTP sends
}

// detached posts w to its partition's owner and waits for the answer or
// ctx. A full data lane is TransientNotAccepted at once (S11: answered).
func (n *httpNode) detached(ctx context.Context, w *partWork) ([]byte, wire.Status) {
	type answer struct {
		body []byte
		st   wire.Status
	}
	if !n.srv.servesData() {
		// Only the leader serves the data plane (see dispatch): a backup
		// redirects the client to it (the NotPrimary hook).
		w.free()
		return nil, wire.StatusTransientNotAccepted
	}
	ch := make(chan answer, 1) // the owner never blocks on it
	w.detached = func(body []byte, st wire.Status) { ch <- answer{body, st} }
	if n.srv.replicate(nil, nil, w) {
		// A clustered write: its partition's group answers through
		// w.detached.
	} else if err := n.srv.owner(w.p).PostData(w); err != nil {
		n.srv.log.Warn("partition owner busy", "stream", w.k.stream, "topic", w.k.topic, "partition", w.k.partition, "err", err)
		w.free()
		return nil, wire.StatusTransientNotAccepted
	}
	select {
	case a := <-ch:
		return a.body, a.st
	case <-ctx.Done():
		// The client left; the work still runs and its answer is dropped.
		return nil, wire.StatusTransientNotAccepted
	}
}

// SendMessages admits a SendMessages body as the binary protocol does
// (every checksum verified), routes it and appends it on the owner.
func (n *httpNode) SendMessages(ctx context.Context, c service.Caller, body []byte) wire.Status {
	var sm wire.SendMessages
	sm.Sums = make([]byte, 0, 64)
	if err := sm.Decode(body); err != nil {
		return wire.StatusOf(err)
	}
	r, st := n.srv.svc.RouteSend(c, sm.Stream, sm.Topic, sm.Partitioning, func(t metadata.TopicInfo) uint32 {
		v, _ := n.rr.LoadOrStore(partKey{stream: t.Stream, topic: t.ID}, new(atomic.Uint32))
		return v.(*atomic.Uint32).Add(1) - 1
	})
	if st != wire.StatusOK {
		return st
	}
	w := n.srv.takeWork(partSend, r)
	w.batch = sm.Batch // aliases body, which outlives the work: detached waits
	w.sums = append(w.sums, sm.Sums...)
	_, st = n.detached(ctx, w)
	return st
}

// PollMessages polls on the owner and returns the binary reply body.
func (n *httpNode) PollMessages(ctx context.Context, c service.Caller, req *wire.PollMessages) ([]byte, wire.Status) {
	r, resync, st := n.srv.svc.RoutePoll(c, req)
	switch {
	case st != wire.StatusOK:
		return nil, st
	case resync:
		return (&wire.PollReply{PartitionID: wire.PollResyncPartition}).Append(nil), wire.StatusOK
	}
	w := n.srv.takeWork(partPoll, r)
	w.poll = partition.PollRequest{Strategy: req.Strategy, Count: req.Count, Consumer: r.Consumer, AutoCommit: req.AutoCommit}
	return n.detached(ctx, w)
}

// ConsumerOffset gets, stores or deletes a consumer offset on the owner;
// a get returns the binary ConsumerOffsetInfo, empty when none is stored.
func (n *httpNode) ConsumerOffset(ctx context.Context, c service.Caller, kind wire.OffsetKind, req *wire.ConsumerOffsetRequest) ([]byte, wire.Status) {
	r, st := n.srv.svc.RouteOffset(c, req)
	if st != wire.StatusOK {
		return nil, st
	}
	w := n.srv.takeWork(partGetOffset, r)
	switch kind {
	case wire.OffsetStore:
		w.kind, w.offset, w.ack = partStoreOffset, req.Offset, partition.AckLevel(req.Ack)
	case wire.OffsetDelete:
		w.kind, w.ack = partDeleteOffset, partition.AckLevel(req.Ack)
	}
	return n.detached(ctx, w)
}

// DeleteSegments removes up to req.Count of a partition's oldest sealed
// segments on its owner.
func (n *httpNode) DeleteSegments(ctx context.Context, c service.Caller, req *wire.DeleteSegments) wire.Status {
	r, st := n.srv.svc.RoutePartition(c, auth.NeedManageTopic, req.Stream, req.Topic, req.Partition)
	if st != wire.StatusOK {
		return st
	}
	w := n.srv.takeWork(partDeleteSegments, r)
	w.count = req.Count
	_, st = n.detached(ctx, w)
	return st
}

// Flush syncs a partition's written messages to disk on its owner when
// fsync is set (appends are written through, so there is no buffer to
// write); it needs the send permission, as in Iggy.
func (n *httpNode) Flush(ctx context.Context, c service.Caller, stream, topic wire.Identifier, part uint32, fsync bool) wire.Status {
	r, st := n.srv.svc.RoutePartition(c, auth.NeedSend, stream, topic, part)
	if st != wire.StatusOK {
		return st
	}
	w := n.srv.takeWork(partFlush, r)
	w.fsync = fsync
	_, st = n.detached(ctx, w)
	return st
}

// PartitionStats are a partition's counters as its owner last published
// them.
func (n *httpNode) PartitionStats(stream, topic, part uint32) metadata.PartitionStats {
	return n.srv.stats(stream, topic, part)
}

// Stats is GetStats' reply.
func (n *httpNode) Stats() wire.Stats { return admin.Stats(n.srv.adminInput()) }

// Clients lists the connected binary-protocol clients.
func (n *httpNode) Clients() []wire.ClientInfo { return n.srv.dir.list(n.srv.state()) }

// Client finds a connected client by its short id.
func (n *httpNode) Client(id uint32) (wire.ClientInfo, bool) {
	return n.srv.dir.lookup(id, n.srv.state())
}

// ClusterMetadata is GetClusterMetadata's reply.
func (n *httpNode) ClusterMetadata() wire.ClusterMetadata { return n.srv.clusterMetadata() }

// Snapshot builds the diagnostics archive a GetSnapshot body asks for, on
// the caller's goroutine (it walks the data directory).
func (n *httpNode) Snapshot(body []byte) ([]byte, wire.Status) {
	spec, st := admin.ParseSnapshot(body)
	if st != wire.StatusOK {
		return nil, st
	}
	in := n.srv.adminInput()
	in.Config = n.srv.configSummary()
	out, err := admin.Snapshot(in, spec)
	if err != nil {
		n.srv.log.Error("snapshot failed", "err", err)
		return nil, wire.StatusError
	}
	return out, wire.StatusOK
}

// newAPI builds the REST API the HTTP listener serves: Iggy's routes over
// the service and httpNode, with /metrics and /health.
//
// In a cluster a write that reaches a backup is redirected (307) to the
// primary's HTTP listener, and tokens are signed with a key derived from
// the cluster secret unless [http.jwt] names one, so a token one node
// issued is valid on every node (as in Iggy, where the PSK becomes the JWT
// key source).
func (srv *Server) newAPI() (*httpapi.API, error) {
	o := &srv.opts.API
	cfg := httpapi.Config{Service: srv.svc, Node: &httpNode{srv: srv}, Metrics: srv.metrics.Handler(),
		Version: Version, MaxRequestSize: o.MaxRequestSize, CORS: o.CORS, JWT: o.JWT, Limiter: srv.limiter, Now: srv.now,
		Logger: srv.log}
	if c := &srv.opts.Cluster; c.Enabled {
		if cfg.JWT.EncodingSecret == "" && cfg.JWT.DecodingSecret == "" {
			cfg.JWT.EncodingSecret, cfg.JWT.UseBase64Secret = jwtKey(c.Secret), true
			if c.PreviousSecret != nil {
				// During a key rotation, tokens from nodes that still sign
				// with the other key are valid here too.
				cfg.JWT.PreviousSecret = jwtKey(*c.PreviousSecret)
			}
		}
		cfg.NotPrimary = func(st wire.Status) bool {
			return st == wire.StatusTransientNotAccepted && !srv.group.Load().IsPrimary()
		}
		cfg.Primary = srv.primaryHTTP
	}
	return httpapi.New(cfg)
}

// jwtKey derives a cluster's HTTP token key (base64) from its secret.
func jwtKey(secret replica.Secret) string {
	var k [32]byte
	blake3.DeriveKey(k[:], "shoal http jwt key v1", secret[:])
	return base64.StdEncoding.EncodeToString(k[:])
}

// primaryHTTP is the primary's HTTP base URL, when this node knows the
// primary and it has an HTTP port.
func (srv *Server) primaryHTTP() (string, bool) {
	st := srv.groupStatus()
	c := &srv.opts.Cluster
	if st.Status != vsr.StatusNormal || st.Abdicated || int(st.Primary) >= len(c.Nodes) {
		return "", false
	}
	n := c.Nodes[st.Primary]
	if n.HTTP == 0 {
		return "", false
	}
	scheme := "http"
	if srv.opts.HTTP.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(n.IP, strconv.Itoa(int(n.HTTP))), true
}
