package ws

import (
	"net"
	"net/url"

	gws "github.com/gobwas/ws"

	"github.com/shoal-io/shoal/internal/transport"
)

// dialWith upgrades nc offering proto instead of Subprotocol.
func dialWith(nc net.Conn, rawURL, proto string) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	d := gws.Dialer{Protocols: []string{proto}}
	br, hs, err := d.Upgrade(nc, u)
	if br != nil {
		gws.PutReader(br)
	}
	if err != nil {
		return nil, err
	}
	if hs.Protocol != Subprotocol {
		return nil, ErrSubprotocol
	}
	return newConn(nc, nc.(*net.TCPConn), nil, 0, true, transport.KindWS, nil), nil
}
