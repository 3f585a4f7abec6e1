package server

import (
	"context"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/transport/quicconn"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/transport/ws"
)

// extraListeners returns the specs of the WebSocket (or WSS) and QUIC
// listeners.
func (srv *Server) extraListeners(ctx context.Context, tcpCfg tcp.Config) []shard.ListenerSpec {
	var specs []shard.ListenerSpec
	o := &srv.opts
	if o.WS.Enabled {
		specs = append(specs, shard.ListenerSpec{Name: "websocket", Bind: func() (transport.Listener, error) {
			return ws.Listen(ctx, o.WS.Address, ws.Config{TCP: tcpCfg, TLS: o.WS.TLS})
		}})
	}
	if o.QUIC.Enabled {
		specs = append(specs, shard.ListenerSpec{Name: "quic", Bind: func() (transport.Listener, error) {
			qc := quicconn.DefaultQUICConfig()
			qc.HandshakeIdleTimeout = o.Bus.HandshakeTimeout
			return quicconn.Listen(ctx, o.QUIC.Address, quicconn.Config{TLS: o.QUIC.TLS, QUIC: qc, MaxFrameSize: o.Bus.MaxMessageSize})
		}})
	}
	return specs
}
