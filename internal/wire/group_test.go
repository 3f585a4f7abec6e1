package wire

import "testing"

// TestPeekGroup: every consensus header's group is found where its Put
// wrote it, and commands without one report none.
func TestPeekGroup(t *testing.T) {
	const g = 0x0102030405060708
	b := make([]byte, HeaderSize)
	for _, tc := range []struct {
		cmd Command
		put func()
	}{
		{CommandPrepare, func() { (&PrepareHeader{Group: g}).Put(b) }},
		{CommandPrepareOk, func() { (&PrepareOkHeader{Group: g}).Put(b) }},
		{CommandCommit, func() { (&CommitHeader{Group: g}).Put(b) }},
		{CommandStartViewChange, func() { (&StartViewChangeHeader{Group: g}).Put(b) }},
		{CommandDoViewChange, func() { (&DoViewChangeHeader{Group: g}).Put(b) }},
		{CommandStartView, func() { (&StartViewHeader{Group: g}).Put(b) }},
		{CommandRequestStartView, func() { (&RequestStartViewHeader{Group: g}).Put(b) }},
		{CommandRequestPrepares, func() { (&RequestPreparesHeader{Group: g}).Put(b) }},
		{CommandRequestStateTransfer, func() { (&RequestStateTransferHeader{Group: g}).Put(b) }},
		{CommandStateTransferTarget, func() { (&StateTransferTargetHeader{Group: g}).Put(b) }},
		{CommandRequestStateChunk, func() { (&RequestStateChunkHeader{Group: g}).Put(b) }},
		{CommandStateChunk, func() { (&StateChunkHeader{Group: g}).Put(b) }},
	} {
		clear(b)
		tc.put()
		if PeekCommand(b) != tc.cmd {
			t.Fatalf("%v: Put wrote command %v", tc.cmd, PeekCommand(b))
		}
		if got, ok := PeekGroup(b); !ok || got != g {
			t.Errorf("%v: group %#x, %v", tc.cmd, got, ok)
		}
	}
	// A RepairPrepare is a Prepare with its command byte changed; the
	// repair-range commands share RepairRangeHeader.
	clear(b)
	(&PrepareHeader{Group: g}).Put(b)
	b[offCommand] = byte(CommandRepairPrepare)
	if got, ok := PeekGroup(b); !ok || got != g {
		t.Errorf("RepairPrepare: group %#x, %v", got, ok)
	}
	for _, cmd := range []Command{CommandRepairDone, CommandRangeEvicted} {
		clear(b)
		(&RepairRangeHeader{Prefix: Prefix{Command: cmd}, Group: g}).Put(b)
		if got, ok := PeekGroup(b); !ok || got != g {
			t.Errorf("%v: group %#x, %v", cmd, got, ok)
		}
	}
	for _, cmd := range []Command{CommandRequest, CommandReply, CommandReplicaHello, CommandForwardRegister, CommandPing} {
		clear(b)
		b[offCommand] = byte(cmd)
		if _, ok := PeekGroup(b); ok {
			t.Errorf("%v reports a group", cmd)
		}
	}
	if _, ok := PeekGroup(b[:HeaderSize-1]); ok {
		t.Error("a short frame reports a group")
	}
}
