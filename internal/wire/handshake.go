package wire

import "encoding/binary"

// HandshakeHeader is the replica authentication frame: ReplicaHello (14),
// ReplicaChallenge (15) or ReplicaFinish (16). Size 256, unsealed (the MAC
// authenticates it). The prefix carries the cluster id and the sender's
// replica id.
//
//	off  size field
//	128  32   nonce      sender's nonce (Hello, Challenge)
//	160  32   mac        BLAKE3 keyed MAC (Challenge, Finish)
//	192   1   status     Challenge: 0 accepted, non-zero refused
//	193   7   padding
//	200   8   timestamp  u64 wall-clock ns of the sender (Shoal: ±30 s window)
//	208  48   reserved   must be 0
//
// The nonce, mac and status offsets are Iggy HEAD's; the timestamp is Shoal's
// addition in bytes Iggy leaves zero.
type HandshakeHeader struct {
	Prefix
	Nonce     [32]byte
	MAC       [32]byte
	Status    uint8
	Timestamp uint64
}

// Put writes h into b[:HeaderSize] with command h.Command, which must be one
// of the three handshake commands, and size 256.
func (h *HandshakeHeader) Put(b []byte) {
	if h.Command < CommandReplicaHello || h.Command > CommandReplicaFinish {
		panic("wire: HandshakeHeader.Put with command " + h.Command.String())
	}
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, h.Command)
	copy(b[128:160], h.Nonce[:])
	copy(b[160:192], h.MAC[:])
	b[192] = h.Status
	binary.LittleEndian.PutUint64(b[200:], h.Timestamp)
}

// Decode reads a handshake header of any of the three commands.
func (h *HandshakeHeader) Decode(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShortHeader
	}
	cmd := PeekCommand(b)
	if cmd < CommandReplicaHello || cmd > CommandReplicaFinish {
		return invalid("handshake: command %v", cmd)
	}
	if err := decodePrefix(&h.Prefix, b, cmd); err != nil {
		return err
	}
	copy(h.Nonce[:], b[128:160])
	copy(h.MAC[:], b[160:192])
	h.Status = b[192]
	h.Timestamp = binary.LittleEndian.Uint64(b[200:])
	switch {
	case h.Size != HeaderSize:
		return invalid("handshake: size %d, want 256", h.Size)
	case !allZero(b[193:200]) || !allZero(b[208:HeaderSize]):
		return invalid("handshake: reserved bytes must be zero")
	}
	return nil
}
