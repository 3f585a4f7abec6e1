package wire

import "encoding/binary"

// groupOffset is where each consensus command's header keeps its group
// (the consensus group the frame belongs to: MetadataGroup or a
// PartitionGroup). These offsets are part of the wire format; each is the
// group field of the command's header type (prepare.go, viewchange.go,
// repair.go, statetransfer.go).
var groupOffset = [MaxCommand + 1]int{
	CommandPrepare:              216,
	CommandRepairPrepare:        216,
	CommandPrepareOk:            200,
	CommandCommit:               168,
	CommandStartViewChange:      128,
	CommandDoViewChange:         144,
	CommandStartView:            144,
	CommandRequestStartView:     128,
	CommandRequestPrepares:      160,
	CommandRepairDone:           152,
	CommandRangeEvicted:         152,
	CommandRequestStateTransfer: 144,
	CommandStateTransferTarget:  152,
	CommandRequestStateChunk:    152,
	CommandStateChunk:           152,
}

// PeekGroup returns the consensus group of a replica-plane frame whose
// header is whole, and false for a command that carries none (handshake,
// forwarding, client-plane commands) or a short frame. It reads one field
// and checks nothing else: the group's replica validates the frame.
func PeekGroup(frame []byte) (uint64, bool) {
	if len(frame) < HeaderSize {
		return 0, false
	}
	c := PeekCommand(frame)
	if c > MaxCommand || groupOffset[c] == 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(frame[groupOffset[c]:]), true
}
