package server

import (
	"context"
	"fmt"

	"github.com/shoal-io/shoal/internal/admin"
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// snapshot serves GetSnapshot (read code 11): a ZIP archive of the
// requested diagnostics (internal/admin). It is built off the shard loop
// (it walks the data directory); the connection waits parked.
func (srv *Server) snapshot(s *shard.Shard, c *session, h *wire.RequestHeader, body []byte) {
	spec, st := admin.ParseSnapshot(body)
	if st != wire.StatusOK {
		srv.reply(s, c, h, st, nil)
		return
	}
	c.parked = true
	req, id := *h, c.id
	err := s.Bus().Go(func(context.Context) {
		in := srv.adminInput()
		in.Config = srv.configSummary()
		out, err := admin.Snapshot(in, spec)
		st := wire.StatusOK
		switch {
		case err != nil:
			srv.log.Error("snapshot failed", "err", err)
			st = wire.StatusError
		case len(out) > int(srv.opts.Bus.MaxMessageSize)-wire.HeaderSize:
			st = wire.StatusSnapshotFileCompletionFailed
			out = nil
		}
		srv.resume(id, func(s *shard.Shard, c *session) { srv.reply(s, c, &req, st, out) })
	})
	if err != nil {
		c.parked = false
		srv.reply(s, c, h, wire.StatusError, nil)
	}
}

// configSummary is the server_config.txt of a snapshot.
func (srv *Server) configSummary() string {
	o := &srv.opts
	return fmt.Sprintf("version %s\ndata %s\nshards %d\ntcp %v %s tls=%v\nquic %v %s\nwebsocket %v %s tls=%v\nhttp %v %s\n"+
		"heartbeat %v\nmax_batch %d\nmax_message_size %d\npeer_queue_capacity %d\n",
		Version, o.DataDir, srv.rt.Shards(), o.TCP.Enabled, o.TCP.Address, o.TCP.TLS != nil, o.QUIC.Enabled, o.QUIC.Address,
		o.WS.Enabled, o.WS.Address, o.WS.TLS != nil, o.HTTP.Enabled, o.HTTP.Address, o.Heartbeat,
		o.Bus.MaxBatch, o.Bus.MaxMessageSize, o.Bus.PeerQueueCapacity)
}
