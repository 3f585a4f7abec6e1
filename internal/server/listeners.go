package server

import (
	"context"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/ws"
)

// extraListeners returns the specs of the WebSocket (or WSS) listener and,
// when its transport is available, QUIC.
func (srv *Server) extraListeners(ctx context.Context, tcpCfg tcp.Config) []shard.ListenerSpec {
	var specs []shard.ListenerSpec
	o := &srv.opts
	if o.WS.Enabled {
		specs = append(specs, shard.ListenerSpec{Name: "websocket", Bind: func() (transport.Listener, error) {
			return ws.Listen(ctx, o.WS.Address, ws.Config{TCP: tcpCfg, TLS: o.WS.TLS})
		}})
	}
	return specs
}
