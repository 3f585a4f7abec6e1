package wire

import (
	"encoding/binary"
	"strconv"
)

// Body primitives shared by many requests (wire.md §3.1).

// IdentifierKind is the first byte of an Identifier.
type IdentifierKind uint8

const (
	IdentifierNumeric IdentifierKind = 1 // len 4, u32
	IdentifierString  IdentifierKind = 2 // len 1..255, UTF-8
)

// Identifier names a stream, topic, consumer or group by number or name:
//
//	[kind u8][len u8][value]   numeric: kind 1, len 4, u32; string: kind 2, len 1..255
//
// Name aliases the body it was decoded from.
type Identifier struct {
	Kind IdentifierKind
	ID   uint32
	Name []byte
}

// NumericID returns a numeric identifier.
func NumericID(id uint32) Identifier { return Identifier{Kind: IdentifierNumeric, ID: id} }

// NamedID returns a string identifier.
func NamedID(name string) Identifier { return Identifier{Kind: IdentifierString, Name: []byte(name)} }

// Append appends the encoding of id to dst; the zero Identifier encodes
// as numeric 0. A name longer than 255 bytes is a caller bug (an empty one
// encodes, and a decoder refuses it).
func (id Identifier) Append(dst []byte) []byte {
	if id.Kind == IdentifierString {
		if len(id.Name) > 255 {
			panic("wire: identifier name of more than 255 bytes")
		}
		return append(append(dst, byte(IdentifierString), byte(len(id.Name))), id.Name...)
	}
	dst = append(dst, byte(IdentifierNumeric), 4)
	return binary.LittleEndian.AppendUint32(dst, id.ID)
}

// Len returns the encoded length of id.
func (id Identifier) Len() int {
	if id.Kind == IdentifierString {
		return 2 + len(id.Name)
	}
	return 6
}

func (id Identifier) String() string {
	if id.Kind == IdentifierString {
		return strconv.Quote(string(id.Name))
	}
	return strconv.FormatUint(uint64(id.ID), 10)
}

// CutIdentifier decodes the Identifier at the start of b and returns the
// bytes after it. A string identifier's name aliases b.
func CutIdentifier(b []byte) (Identifier, []byte, error) {
	d := NewBodyReader(b)
	id := d.ident()
	if d.err != nil {
		return Identifier{}, b, d.err
	}
	return id, b[d.pos:], nil
}

// ConsumerKind is the first byte of a Consumer.
type ConsumerKind uint8

const (
	ConsumerSingle ConsumerKind = 1 // a plain consumer
	ConsumerGroup  ConsumerKind = 2 // a consumer group
)

// Consumer is [kind u8][Identifier].
type Consumer struct {
	Kind ConsumerKind
	ID   Identifier
}

// Append appends the encoding of c to dst.
func (c Consumer) Append(dst []byte) []byte { return c.ID.Append(append(dst, byte(c.Kind))) }

// PartitioningKind is the first byte of a Partitioning.
type PartitioningKind uint8

const (
	PartitionBalanced    PartitioningKind = 1 // len 0
	PartitionByID        PartitioningKind = 2 // len 4, u32
	PartitionByMessageID PartitioningKind = 3 // len 1..255: a message key
)

// Partitioning says which partition a send goes to: [kind u8][len u8][value].
// The Go SDK always sends PartitionByID.
type Partitioning struct {
	Kind      PartitioningKind
	Partition uint32 // PartitionByID
	Key       []byte // PartitionByMessageID
}

// Append appends the encoding of p to dst.
func (p Partitioning) Append(dst []byte) []byte {
	switch p.Kind {
	case PartitionBalanced:
		return append(dst, byte(p.Kind), 0)
	case PartitionByMessageID:
		return appendName(append(dst, byte(p.Kind)), p.Key)
	default:
		return binary.LittleEndian.AppendUint32(append(dst, byte(PartitionByID), 4), p.Partition)
	}
}

// Len returns the encoded length of p.
func (p Partitioning) Len() int {
	switch p.Kind {
	case PartitionBalanced:
		return 2
	case PartitionByMessageID:
		return 2 + len(p.Key)
	default:
		return 6
	}
}

// PollingKind selects where a poll starts.
type PollingKind uint8

const (
	PollOffset    PollingKind = 1 // value = offset
	PollTimestamp PollingKind = 2 // value = µs since the epoch
	PollFirst     PollingKind = 3
	PollLast      PollingKind = 4
	PollNext      PollingKind = 5 // continue from the stored consumer offset
)

// PollingStrategy is [kind u8][value u64].
type PollingStrategy struct {
	Kind  PollingKind
	Value uint64
}
