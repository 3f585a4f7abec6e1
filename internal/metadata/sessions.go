package metadata

import (
	"encoding/binary"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// The client table: Register binds a VSR client id to a user under a fresh
// session epoch; Logout ends it. A connection's session is valid while its
// (client, epoch) entry is here (wire.md §2.3, §2.10).

// Register binds Client to UserID. Its session epoch is the consensus op
// that committed it (Store.Commit), which is also the client's VSR session
// number (Iggy: the epoch is the Register's commit op); in a log replayed
// by LoadJournal it is the operation's 1-based index. Either way it is
// unique and increasing, and every replica and replay computes the same.
type Register struct {
	Client    wire.ClientID
	UserID    uint32
	Timestamp uint64 // µs since the Unix epoch, from the proposer
}

// Logout ends Client's session if its epoch is Epoch; otherwise (already
// ended, or rebound since) it changes nothing.
type Logout struct {
	Client wire.ClientID
	Epoch  wire.Epoch
}

func (Register) Kind() Kind { return KindRegister }
func (Logout) Kind() Kind   { return KindLogout }

func (o Register) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.Client.Lo)
	b = binary.LittleEndian.AppendUint64(b, o.Client.Hi)
	b = binary.LittleEndian.AppendUint32(b, o.UserID)
	return binary.LittleEndian.AppendUint64(b, o.Timestamp)
}

func (o Logout) appendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, o.Client.Lo)
	b = binary.LittleEndian.AppendUint64(b, o.Client.Hi)
	return binary.LittleEndian.AppendUint64(b, uint64(o.Epoch))
}

func decodeRegister(d *decoder) Op {
	return Register{Client: wire.ClientID{Lo: d.u64(), Hi: d.u64()}, UserID: d.u32(), Timestamp: d.u64()}
}

func decodeLogout(d *decoder) Op {
	return Logout{Client: wire.ClientID{Lo: d.u64(), Hi: d.u64()}, Epoch: wire.Epoch(d.u64())}
}

// Session is a client table entry.
type Session struct {
	Client       wire.ClientID
	Epoch        wire.Epoch
	UserID       uint32
	RegisteredAt uint64
}

// Session returns client's entry in the client table.
func (s *State) Session(client wire.ClientID) (Session, bool) {
	e, ok := s.sessions[client]
	if !ok {
		return Session{}, false
	}
	return *e, true
}

// SessionCount returns the number of live sessions.
func (s *State) SessionCount() int { return len(s.sessions) }

func (s *State) checkSession(o Op) Result {
	switch o := o.(type) {
	case Register:
		switch {
		case o.Client.IsZero():
			return Result{Status: wire.StatusInvalidCommand}
		case s.users[o.UserID] == nil:
			return Result{Status: wire.StatusResourceNotFound}
		}
		if e := s.sessions[o.Client]; e != nil && e.UserID != o.UserID {
			// The client id is bound to another user (wire.md §1.7,
			// eviction reason 12).
			return Result{Status: wire.StatusUnauthorized}
		}
	case Logout:
		if o.Client.IsZero() {
			return Result{Status: wire.StatusInvalidCommand}
		}
	}
	return Result{}
}

func (s *State) applySession(o Op) Result {
	switch o := o.(type) {
	case Register:
		// A committed Register's epoch is its consensus op, which is also
		// its VSR session; the legacy journal counted operations.
		epoch := wire.Epoch(s.applied)
		if s.at != 0 {
			epoch = wire.Epoch(s.at)
		}
		s.sessions[o.Client] = &Session{Client: o.Client, Epoch: epoch, UserID: o.UserID, RegisteredAt: o.Timestamp}
		return Result{UserID: o.UserID, Epoch: epoch}
	case Logout:
		if e := s.sessions[o.Client]; e != nil && e.Epoch == o.Epoch {
			delete(s.sessions, o.Client)
		}
	}
	return Result{}
}

// appendSessions appends the client table to a digest encoding.
func (s *State) appendSessions(b []byte) []byte {
	for _, k := range slices.SortedFunc(maps.Keys(s.sessions), cmpClient) {
		e := s.sessions[k]
		b = AppendOp(b, Register{Client: e.Client, UserID: e.UserID, Timestamp: e.RegisteredAt})
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Epoch))
	}
	return b
}

// cmpClient orders client ids by Hi, then Lo.
func cmpClient(a, b wire.ClientID) int {
	if a.Hi != b.Hi {
		return cmpU64(a.Hi, b.Hi)
	}
	return cmpU64(a.Lo, b.Lo)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
