package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderSize is the size of every frame header. It is part of the wire
// format and must not be changed.
const HeaderSize = 256

// Offsets of the common 128-byte prefix shared by every header.
const (
	offChecksum     = 0  // u128
	offChecksumBody = 16 // u128
	offCluster      = 32 // u128
	offSize         = 48 // u32, total frame length
	offView         = 52 // u32
	offRelease      = 56 // u32
	offCommand      = 60 // u8
	offReplica      = 61 // u8
	offReservedFrm  = 62 // 66 bytes
	offCmdSpecific  = 128
)

// Errors from header decoding. They are returned wrapped with detail, so
// match them with errors.Is.
var (
	// ErrShortHeader means fewer than HeaderSize bytes were given.
	ErrShortHeader = errors.New("wire: header shorter than 256 bytes")
	// ErrWrongCommand means a typed decoder was given another command's header.
	ErrWrongCommand = errors.New("wire: header has another command")
	// ErrInvalidField means a header field breaks a rule of its command.
	ErrInvalidField = errors.New("wire: invalid header field")
)

// Prefix is the first 128 bytes every header shares (GenericHeader).
type Prefix struct {
	Checksum     Uint128 // meaning depends on the command (§1.9)
	ChecksumBody Uint128
	Cluster      Uint128
	Size         uint32 // total frame bytes, header included
	View         View
	Release      uint32
	Command      Command
	Replica      ReplicaID
}

func (p *Prefix) put(b []byte) {
	putU128(b[offChecksum:], p.Checksum)
	putU128(b[offChecksumBody:], p.ChecksumBody)
	putU128(b[offCluster:], p.Cluster)
	binary.LittleEndian.PutUint32(b[offSize:], p.Size)
	binary.LittleEndian.PutUint32(b[offView:], uint32(p.View))
	binary.LittleEndian.PutUint32(b[offRelease:], p.Release)
	b[offCommand] = byte(p.Command)
	b[offReplica] = byte(p.Replica)
}

func (p *Prefix) get(b []byte) {
	p.Checksum = getU128(b[offChecksum:])
	p.ChecksumBody = getU128(b[offChecksumBody:])
	p.Cluster = getU128(b[offCluster:])
	p.Size = binary.LittleEndian.Uint32(b[offSize:])
	p.View = View(binary.LittleEndian.Uint32(b[offView:]))
	p.Release = binary.LittleEndian.Uint32(b[offRelease:])
	p.Command = Command(b[offCommand])
	p.Replica = ReplicaID(b[offReplica])
}

// GenericHeader is the type-erased view of any header: the prefix plus the
// 128 command-specific bytes, uninterpreted.
type GenericHeader struct {
	Prefix
	ReservedCommand [128]byte
}

// Put writes h into b[:HeaderSize], zeroing reserved bytes. b must hold at
// least HeaderSize bytes.
func (h *GenericHeader) Put(b []byte) {
	b = b[:HeaderSize]
	clear(b)
	h.Prefix.put(b)
	copy(b[offCmdSpecific:], h.ReservedCommand[:])
}

// Decode reads h from b. It checks only the length and that the command is
// defined; typed decoders check the rest.
func (h *GenericHeader) Decode(b []byte) error {
	if len(b) < HeaderSize {
		return ErrShortHeader
	}
	h.Prefix.get(b)
	if !h.Command.Valid() {
		return fmt.Errorf("%w: %d", ErrUnknownCommand, h.Command)
	}
	copy(h.ReservedCommand[:], b[offCmdSpecific:HeaderSize])
	return nil
}

// Peek helpers read single prefix fields from a raw header without decoding it.

// PeekSize returns the total frame size at offset 48.
func PeekSize(h []byte) uint32 { return binary.LittleEndian.Uint32(h[offSize:]) }

// PeekCommand returns the command byte at offset 60.
func PeekCommand(h []byte) Command { return Command(h[offCommand]) }

// decodePrefix is the first step of every typed decoder.
func decodePrefix(p *Prefix, b []byte, want Command) error {
	if len(b) < HeaderSize {
		return ErrShortHeader
	}
	p.get(b)
	if p.Command != want {
		return fmt.Errorf("%w: got %v, want %v", ErrWrongCommand, p.Command, want)
	}
	return nil
}

// putPrefix zeroes b[:HeaderSize], stamps the command and writes p.
func putPrefix(p *Prefix, b []byte, cmd Command) []byte {
	b = b[:HeaderSize]
	clear(b)
	p.Command = cmd
	p.put(b)
	return b
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidField}, args...)...)
}

func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func u64(b []byte, off int) uint64 { return binary.LittleEndian.Uint64(b[off:]) }
func put32(b []byte, off int, v uint32) {
	binary.LittleEndian.PutUint32(b[off:], v)
}
func put64(b []byte, off int, v uint64) {
	binary.LittleEndian.PutUint64(b[off:], v)
}
