package server

import (
	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// readTokens answers GetPersonalAccessTokens (41): the caller's tokens
// (wire.TokenInfo).
func (srv *Server) readTokens(_ *shard.Shard, c *session, _ []byte) ([]byte, wire.Status) {
	return wire.AppendTokens(nil, srv.state().TokenList(c.userID)), wire.StatusOK
}
