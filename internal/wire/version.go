package wire

import (
	"errors"
	"fmt"
)

// ProtocolVersion is a packed major<<20 | minor<<10 | patch, 10 bits each
// and bits 31..30 zero (wire.md §2.2).
type ProtocolVersion uint32

// PackVersion packs a version. Components above 1023 are truncated.
func PackVersion(major, minor, patch uint32) ProtocolVersion {
	return ProtocolVersion((major&0x3FF)<<20 | (minor&0x3FF)<<10 | patch&0x3FF)
}

// Parts returns the major, minor and patch components.
func (v ProtocolVersion) Parts() (major, minor, patch uint32) {
	return uint32(v) >> 20 & 0x3FF, uint32(v) >> 10 & 0x3FF, uint32(v) & 0x3FF
}

func (v ProtocolVersion) String() string {
	a, b, c := v.Parts()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}

const (
	// CurrentProtocolVersion is the protocol Shoal speaks: Iggy's 0.11.0.
	CurrentProtocolVersion = ProtocolVersion(0x2C00)
	// MinProtocolVersion is the oldest accepted client: the current version
	// with patch zeroed.
	MinProtocolVersion = CurrentProtocolVersion &^ 0x3FF
)

// Compatible reports whether a client speaking v may log in:
// v >= MinProtocolVersion and v's major.minor is not newer than ours.
func (v ProtocolVersion) Compatible() bool {
	return v >= MinProtocolVersion && v>>10 <= CurrentProtocolVersion>>10
}

// ErrMalformedBody means a request or reply body does not decode.
var ErrMalformedBody = errors.New("wire: malformed body")

// ClientVersionInfo is the prefix of every login body:
//
//	[protocol_version u32][sdk_name_len u8][sdk_name 1..255][sdk_version_len u8][sdk_version 1..255]
//
// Decoded names alias the body they came from.
type ClientVersionInfo struct {
	Protocol   ProtocolVersion
	SDKName    []byte
	SDKVersion []byte
}

// Append appends the encoding of v to dst.
func (v *ClientVersionInfo) Append(dst []byte) []byte {
	dst = appendU32(dst, uint32(v.Protocol))
	dst = appendName(dst, v.SDKName)
	return appendName(dst, v.SDKVersion)
}

// Decode reads v from the front of b and returns the bytes consumed.
func (v *ClientVersionInfo) Decode(b []byte) (int, error) {
	d := NewBodyReader(b)
	v.Protocol = ProtocolVersion(d.U32())
	v.SDKName = d.name()
	v.SDKVersion = d.name()
	return d.pos, d.err
}
