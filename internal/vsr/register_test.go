package vsr_test

import (
	"bytes"
	"testing"

	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// echoSM records what it applies and answers each op with "ok:" + body.
type echoSM struct{ applied []wire.Operation }

func (m *echoSM) Apply(_ wire.Op, h *wire.PrepareHeader, body []byte) []byte {
	m.applied = append(m.applied, h.Operation)
	return append([]byte("ok:"), body...)
}

// TestRegisterWithBodyIsApplied checks that a Register carrying a body (a
// login the shell checked) opens the session and is applied, its output
// being the reply body, while an empty Register is not applied; and that
// a repeated Register of the same client is answered with that same reply.
func TestRegisterWithBodyIsApplied(t *testing.T) {
	sm := &echoSM{}
	r, err := vsr.New(vsr.Config{Replicas: 1, Cluster: wire.Uint128{Lo: 1}, StateMachine: sm})
	if err != nil {
		t.Fatal(err)
	}
	step := func(h wire.RequestHeader, body []byte) []vsr.ClientFrame {
		h.Size = uint32(wire.HeaderSize + len(body))
		f := make([]byte, wire.HeaderSize+len(body))
		h.Put(f)
		copy(f[wire.HeaderSize:], body)
		if err := r.Step(f); err != nil {
			t.Fatal(err)
		}
		var out []vsr.ClientFrame
		for r.HasReady() {
			rd := r.Ready()
			out = append(out, rd.Replies...)
			r.Advance(rd)
		}
		return out
	}
	register := func(client uint64, body []byte) []vsr.ClientFrame {
		return step(wire.RequestHeader{Client: wire.ClientID{Lo: client}, Operation: wire.OpRegister}, body)
	}
	if got := register(1, nil); len(got) != 1 || len(got[0].Frame) != wire.HeaderSize {
		t.Fatalf("empty register: replies %v", got)
	}
	if len(sm.applied) != 0 {
		t.Fatalf("empty register applied: %v", sm.applied)
	}
	got := register(2, []byte("user 7"))
	if len(got) != 1 || !bytes.Equal(got[0].Frame[wire.HeaderSize:], []byte("ok:user 7")) {
		t.Fatalf("register with body: replies %v", got)
	}
	if len(sm.applied) != 1 || sm.applied[0] != wire.OpRegister {
		t.Fatalf("applied %v, want one Register", sm.applied)
	}
	if r.Clients() != 2 {
		t.Fatalf("clients %d, want 2", r.Clients())
	}
	again := register(2, []byte("user 7"))
	if len(again) != 1 || !bytes.Equal(again[0].Frame, got[0].Frame) {
		t.Fatalf("repeated register: %v, want the first reply", again)
	}
	if len(sm.applied) != 1 {
		t.Fatalf("repeated register applied again: %v", sm.applied)
	}
}

// TestLogoutEndsSession checks that a committed Logout is applied and
// removes its client's session, so the client table holds only live
// sessions.
func TestLogoutEndsSession(t *testing.T) {
	sm := &echoSM{}
	r, err := vsr.New(vsr.Config{Replicas: 1, Cluster: wire.Uint128{Lo: 1}, StateMachine: sm})
	if err != nil {
		t.Fatal(err)
	}
	var replies []vsr.ClientFrame
	step := func(h wire.RequestHeader, body []byte) {
		h.Size = uint32(wire.HeaderSize + len(body))
		f := make([]byte, wire.HeaderSize+len(body))
		h.Put(f)
		copy(f[wire.HeaderSize:], body)
		if err := r.Step(f); err != nil {
			t.Fatal(err)
		}
		for r.HasReady() {
			rd := r.Ready()
			replies = append(replies, rd.Replies...)
			r.Advance(rd)
		}
	}
	c := wire.ClientID{Lo: 9}
	step(wire.RequestHeader{Client: c, Operation: wire.OpRegister}, []byte("login"))
	var rh wire.ReplyHeader
	if len(replies) != 1 || rh.Decode(replies[0].Frame) != nil {
		t.Fatalf("register replies %v", replies)
	}
	step(wire.RequestHeader{Client: c, Session: uint64(rh.Op), Request: 1, Operation: wire.OpLogout}, []byte("bye"))
	if len(replies) != 2 || !bytes.Equal(replies[1].Frame[wire.HeaderSize:], []byte("ok:bye")) {
		t.Fatalf("logout replies %v", replies)
	}
	if r.Clients() != 0 {
		t.Fatalf("clients %d after logout, want 0", r.Clients())
	}
}
