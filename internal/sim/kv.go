package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/anishathalye/porcupine"
	"github.com/shoal-io/shoal/internal/wire"
)

// kvKind is a key-value operation.
type kvKind uint8

const (
	kvGet kvKind = iota // returns the value
	kvPut               // sets the value, returns it
	kvAdd               // adds to the value, returns the new value
)

func (k kvKind) String() string {
	switch k {
	case kvGet:
		return "get"
	case kvPut:
		return "put"
	case kvAdd:
		return "add"
	}
	return fmt.Sprintf("kvKind(%d)", uint8(k))
}

// kvInput is an operation as a client issues it; it is also the request body.
type kvInput struct {
	kind  kvKind
	key   uint8
	value uint64
}

func (in kvInput) encode() []byte {
	b := make([]byte, 10)
	b[0], b[1] = byte(in.kind), in.key
	binary.LittleEndian.PutUint64(b[2:], in.value)
	return b
}

func decodeKV(b []byte) (kvInput, bool) {
	if len(b) != 10 || b[0] > byte(kvAdd) {
		return kvInput{}, false
	}
	return kvInput{kind: kvKind(b[0]), key: b[1], value: binary.LittleEndian.Uint64(b[2:])}, true
}

// kvOutput is a result; unknown marks an operation whose outcome the client
// never learned (it may or may not have taken effect).
type kvOutput struct {
	value   uint64
	unknown bool
}

// kv is the replicated state machine: a map of 256 counters.
type kv struct {
	vals [256]uint64
}

// Apply implements vsr.StateMachine.
func (s *kv) Apply(_ wire.Op, _ *wire.PrepareHeader, body []byte) []byte {
	in, ok := decodeKV(body)
	if !ok {
		return nil
	}
	switch in.kind {
	case kvPut:
		s.vals[in.key] = in.value
	case kvAdd:
		s.vals[in.key] += in.value
	}
	return binary.LittleEndian.AppendUint64(nil, s.vals[in.key])
}

// Snapshot implements vsr.Snapshotter: the 256 counters, little-endian.
func (s *kv) Snapshot() []byte {
	b := make([]byte, 0, 8*len(s.vals))
	for _, v := range s.vals {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// Restore implements vsr.Snapshotter.
func (s *kv) Restore(b []byte) error {
	if len(b) != 8*len(s.vals) {
		return fmt.Errorf("kv: snapshot of %d bytes", len(b))
	}
	for i := range s.vals {
		s.vals[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return nil
}

// kvModel is the sequential specification, partitioned by key.
var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[uint8][]porcupine.Operation{}
		var keys []uint8
		for _, op := range h {
			k := op.Input.(kvInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return uint64(0) },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(uint64), input.(kvInput), output.(kvOutput)
		next := s
		switch in.kind {
		case kvPut:
			next = in.value
		case kvAdd:
			next = s + in.value
		}
		return out.unknown || out.value == next, next
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		if out.unknown {
			return fmt.Sprintf("%v(%d,%d) -> ?", in.kind, in.key, in.value)
		}
		return fmt.Sprintf("%v(%d,%d) -> %d", in.kind, in.key, in.value, out.value)
	},
}
