package metagroup

import (
	"errors"

	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/wire"
)

// A backup cannot commit: a login or logout that reaches it is forwarded
// to the primary (ForwardRegister 26 / ForwardLogout 28, wire.md §1.8),
// which proposes it and answers with the result (27 / 29). The backup has
// already checked the password against its copy of the users.

// forwardResult is what a backup waits for.
type forwardResult struct {
	epoch wire.Epoch
	code  uint8 // the outcome byte
}

// ForwardRegister asks the primary to register client for user and
// returns the session epoch, or the primary's refusal as an outcome other
// than ForwardRegisterOK. ErrNotPrimary means no primary is known;
// ErrUnknown that no answer came in time.
func (g *Group) ForwardRegister(client wire.ClientID, user uint32) (wire.Epoch, wire.ForwardRegisterOutcome, error) {
	nonce := wire.Uint128(newClientID())
	f := make([]byte, wire.HeaderSize)
	h := wire.ForwardRegisterHeader{Prefix: g.prefix(), Client: client, Nonce: nonce, UserID: user}
	h.Put(f)
	r, err := g.forward(nonce, f)
	return r.epoch, wire.ForwardRegisterOutcome(r.code), err
}

// ForwardLogout asks the primary to end client's session epoch.
func (g *Group) ForwardLogout(client wire.ClientID, epoch wire.Epoch) (wire.ForwardLogoutOutcome, error) {
	nonce := wire.Uint128(newClientID())
	f := make([]byte, wire.HeaderSize)
	h := wire.ForwardLogoutHeader{Prefix: g.prefix(), Client: client, Nonce: nonce, Session: epoch, Request: 1}
	h.Put(f)
	r, err := g.forward(nonce, f)
	return wire.ForwardLogoutOutcome(r.code), err
}

func (g *Group) prefix() wire.Prefix {
	s := g.node.Status()
	return wire.Prefix{Cluster: g.cfg.Replica.Cluster, View: s.View, Replica: g.cfg.Replica.ID}
}

// forward sends f to the primary and waits for the result with f's nonce.
func (g *Group) forward(nonce wire.Uint128, f []byte) (forwardResult, error) {
	s := g.node.Status()
	if s.IsPrimary || s.Primary == g.cfg.Replica.ID {
		return forwardResult{}, ErrNotPrimary
	}
	wire.SealFrame(f)
	ch := make(chan forwardResult, 1)
	g.mu.Lock()
	g.forwards[nonce] = ch
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		delete(g.forwards, nonce)
		g.mu.Unlock()
	}()
	if err := g.cfg.Transport.SendToReplica(s.Primary, f); err != nil {
		return forwardResult{}, ErrNotPrimary
	}
	return g.waitForward(ch)
}

// HandleForward takes a forwarding frame (commands 26..29) from replica
// from. It never blocks: a forwarded operation is proposed on a goroutine
// of its own (at most cap(sem) at once; beyond that it is refused as
// PipelineFull), and a result is handed to the waiting call. It reports
// whether the frame was a forwarding frame.
func (g *Group) HandleForward(from wire.ReplicaID, f []byte) bool {
	switch wire.PeekCommand(f) {
	case wire.CommandForwardRegister:
		var h wire.ForwardRegisterHeader
		if h.Decode(f) != nil {
			return true
		}
		g.serve(from, func() []byte { return g.registerFor(&h) }, func() []byte {
			return g.registerResult(&h, 0, wire.ForwardRegisterPipelineFull)
		})
	case wire.CommandForwardLogout:
		var h wire.ForwardLogoutHeader
		if h.Decode(f) != nil {
			return true
		}
		g.serve(from, func() []byte { return g.logoutFor(&h) }, func() []byte {
			return g.logoutResult(&h, 0, wire.ForwardLogoutPipelineFull)
		})
	case wire.CommandForwardRegisterResult:
		var h wire.ForwardRegisterResultHeader
		if h.Decode(f) == nil {
			g.deliver(h.Nonce, forwardResult{epoch: h.Epoch, code: uint8(h.Outcome)})
		}
	case wire.CommandForwardLogoutResult:
		var h wire.ForwardLogoutResultHeader
		if h.Decode(f) == nil {
			g.deliver(h.Nonce, forwardResult{code: uint8(h.Outcome)})
		}
	default:
		return false
	}
	return true
}

func (g *Group) deliver(nonce wire.Uint128, r forwardResult) {
	g.mu.Lock()
	ch := g.forwards[nonce]
	g.mu.Unlock()
	if ch != nil {
		select {
		case ch <- r:
		default: // a duplicate answer
		}
	}
}

// serve runs do on a goroutine of its own and sends its answer to from;
// when cap(sem) are already running it sends full's answer at once.
func (g *Group) serve(from wire.ReplicaID, do, full func() []byte) {
	select {
	case g.sem <- struct{}{}:
	default:
		g.reply(from, full())
		return
	}
	g.fwd.Add(1)
	go func() {
		defer g.fwd.Done()
		defer func() { <-g.sem }()
		g.reply(from, do())
	}()
}

func (g *Group) reply(to wire.ReplicaID, f []byte) {
	wire.SealFrame(f)
	if err := g.cfg.Transport.SendToReplica(to, f); err != nil {
		g.log.Debug("forward result not sent; the backup times out", "to", int(to), "err", err)
	}
}

// registerFor proposes a forwarded Register on the primary.
func (g *Group) registerFor(h *wire.ForwardRegisterHeader) []byte {
	r, _, err := g.Propose(metadata.Register{Client: h.Client, UserID: h.UserID, Timestamp: uint64(g.cfg.Now().UnixMicro())})
	switch {
	case errors.Is(err, ErrNotPrimary):
		return g.registerResult(h, 0, wire.ForwardRegisterNotPrimary)
	case errors.Is(err, ErrBusy):
		return g.registerResult(h, 0, wire.ForwardRegisterPipelineFull)
	case err != nil:
		return g.registerResult(h, 0, wire.ForwardRegisterCanceled)
	case r.Status == wire.StatusUnauthorized:
		return g.registerResult(h, 0, wire.ForwardRegisterClientIDOwnedByAnotherUser)
	case !r.OK():
		return g.registerResult(h, 0, wire.ForwardRegisterCanceled)
	}
	return g.registerResult(h, r.Epoch, wire.ForwardRegisterOK)
}

func (g *Group) registerResult(h *wire.ForwardRegisterHeader, epoch wire.Epoch, out wire.ForwardRegisterOutcome) []byte {
	f := make([]byte, wire.HeaderSize)
	rh := wire.ForwardRegisterResultHeader{Prefix: g.prefix(), Nonce: h.Nonce, Client: h.Client, Epoch: epoch, Outcome: out}
	rh.Put(f)
	return f
}

// logoutFor proposes a forwarded Logout on the primary.
func (g *Group) logoutFor(h *wire.ForwardLogoutHeader) []byte {
	_, st, err := g.Propose(metadata.Logout{Client: h.Client, Epoch: h.Session})
	switch {
	case errors.Is(err, ErrNotPrimary):
		return g.logoutResult(h, 0, wire.ForwardLogoutNotPrimary)
	case errors.Is(err, ErrBusy):
		return g.logoutResult(h, 0, wire.ForwardLogoutPipelineFull)
	case err != nil:
		return g.logoutResult(h, 0, wire.ForwardLogoutCanceled)
	}
	var commit wire.Op
	if st != nil {
		commit = wire.Op(st.CommitOp())
	}
	return g.logoutResult(h, commit, wire.ForwardLogoutOK)
}

func (g *Group) logoutResult(h *wire.ForwardLogoutHeader, commit wire.Op, out wire.ForwardLogoutOutcome) []byte {
	f := make([]byte, wire.HeaderSize)
	rh := wire.ForwardLogoutResultHeader{Prefix: g.prefix(), Nonce: h.Nonce, Client: h.Client, Commit: commit, Outcome: out}
	rh.Put(f)
	return f
}
