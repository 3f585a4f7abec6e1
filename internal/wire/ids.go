package wire

import (
	"encoding/binary"
	"fmt"
)

// Uint128 is a little-endian 128-bit integer as the wire carries it: the low
// 8 bytes first. Checksum fields, cluster ids and client ids are Uint128s.
type Uint128 struct {
	Lo, Hi uint64
}

// IsZero reports whether u is 0.
func (u Uint128) IsZero() bool { return u.Lo == 0 && u.Hi == 0 }

// String formats u as 0x-prefixed, 32 hex digits.
func (u Uint128) String() string { return fmt.Sprintf("%#016x%016x", u.Hi, u.Lo) }

func getU128(b []byte) Uint128 {
	return Uint128{Lo: binary.LittleEndian.Uint64(b[0:8]), Hi: binary.LittleEndian.Uint64(b[8:16])}
}

func putU128(b []byte, u Uint128) {
	binary.LittleEndian.PutUint64(b[0:8], u.Lo)
	binary.LittleEndian.PutUint64(b[8:16], u.Hi)
}

// ClientID identifies a client. On the client plane the SDK picks a random
// non-zero id per connection or login; inside Shoal a transport id is minted
// as owner_shard<<112 | seq, so the top 16 bits name the owning shard.
type ClientID Uint128

// NewClientID returns the transport id for sequence number seq on shard s.
func NewClientID(s ShardID, seq uint64) ClientID {
	return ClientID{Lo: seq, Hi: uint64(s) << 48}
}

// Shard returns the shard encoded in the top 16 bits of c.
func (c ClientID) Shard() ShardID { return ShardID(c.Hi >> 48) }

// IsZero reports whether c is 0, which is never a valid client.
func (c ClientID) IsZero() bool { return Uint128(c).IsZero() }

// String formats c as hex.
func (c ClientID) String() string { return Uint128(c).String() }

// ReplicaID is the index of a replica in its cluster (0..255).
type ReplicaID uint8

// ShardID is the index of a shard in one process.
type ShardID uint16

// View is a VSR view number.
type View uint32

// Op is a VSR operation (log) number.
type Op uint64

// Epoch is a session fence epoch: the commit op of the Register that bound it.
type Epoch uint64
