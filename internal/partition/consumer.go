package partition

import (
	"encoding/binary"
	"math/bits"

	"github.com/shoal-io/shoal/internal/wire"
)

// ConsumerKeyOf returns the offset key of a plain consumer (wire.md §3.1):
// its numeric id, or the XXH32 (seed 0) of its name, as Iggy keys string
// consumer ids. Group consumers are keyed by the group's numeric id, which
// the metadata resolves (metadata.State.ResolveGroup); pass it as groupID.
func ConsumerKeyOf(c wire.Consumer, groupID uint32) ConsumerKey {
	if c.Kind == wire.ConsumerGroup {
		return ConsumerKey{Kind: wire.ConsumerGroup, ID: groupID}
	}
	if c.ID.Kind == wire.IdentifierString {
		return ConsumerKey{Kind: wire.ConsumerSingle, ID: XXH32(c.ID.Name)}
	}
	return ConsumerKey{Kind: wire.ConsumerSingle, ID: c.ID.ID}
}

const (
	prime32x1 uint32 = 2654435761
	prime32x2 uint32 = 2246822519
	prime32x3 uint32 = 3266489917
	prime32x4 uint32 = 668265263
	prime32x5 uint32 = 374761393
)

// XXH32 is the 32-bit xxHash of b with seed 0.
func XXH32(b []byte) uint32 {
	n := uint32(len(b))
	var h uint32
	if len(b) >= 16 {
		p1, p2 := prime32x1, prime32x2 // variables: the sums wrap
		v1 := p1 + p2
		v2 := p2
		v3 := uint32(0)
		v4 := -p1
		for len(b) >= 16 {
			v1 = round32(v1, binary.LittleEndian.Uint32(b))
			v2 = round32(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = round32(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = round32(v4, binary.LittleEndian.Uint32(b[12:]))
			b = b[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = prime32x5
	}
	h += n
	for ; len(b) >= 4; b = b[4:] {
		h += binary.LittleEndian.Uint32(b) * prime32x3
		h = bits.RotateLeft32(h, 17) * prime32x4
	}
	for _, c := range b {
		h += uint32(c) * prime32x5
		h = bits.RotateLeft32(h, 11) * prime32x1
	}
	h ^= h >> 15
	h *= prime32x2
	h ^= h >> 13
	h *= prime32x3
	h ^= h >> 16
	return h
}

func round32(acc, input uint32) uint32 {
	acc += input * prime32x2
	return bits.RotateLeft32(acc, 13) * prime32x1
}
