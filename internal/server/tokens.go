package server

import (
	"encoding/binary"

	"github.com/shoal-io/shoal/internal/shard"
	"github.com/shoal-io/shoal/internal/wire"
)

// readTokens answers GetPersonalAccessTokens (41): the caller's tokens,
// each [name str8][expiry_at u64 µs, 0 never].
func (srv *Server) readTokens(_ *shard.Shard, c *session, _ []byte) ([]byte, wire.Status) {
	var out []byte
	for _, t := range srv.state().Tokens(c.userID) {
		out = append(out, byte(len(t.Name)))
		out = append(out, t.Name...)
		out = binary.LittleEndian.AppendUint64(out, t.ExpiryAt)
	}
	return out, wire.StatusOK
}
