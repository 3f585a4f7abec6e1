package shard

import (
	"errors"
	"log/slog"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// ErrInboxFull means a lane of the target shard's inbox is full; nothing
// was posted.
var ErrInboxFull = errors.New("shard: inbox lane full")

// ErrStopped is returned by PostWait once the runtime is stopping.
var ErrStopped = errors.New("shard: runtime stopped")

type kind uint8

const (
	kindRun             kind = iota + 1 // lifecycle: fn
	kindClientSetup                     // lifecycle: pending + client
	kindReplicaSetup                    // lifecycle: pending + replica
	kindReplicaInbound                  // lifecycle: pending (an InboundReplica)
	kindConnectionLost                  // lifecycle (shard 0): replica
	kindClientLost                      // lifecycle (owner): client
	kindClientInstalled                 // lifecycle (owner): client
	kindReplicaMessage                  // consensus: frame from replica
	kindForwardReplica                  // consensus: frame to replica
	kindForwardClient                   // reply: frame to client
	kindRequest                         // client: frame from client
	kindTask                            // reply or data: a Task
)

// Task is typed work one shard hands another: a request for a partition
// the target owns (data lane, PostData), or the answer to one for a
// client the target owns (reply lane, PostReply). Run runs on the target
// shard's goroutine (S5). A Task still queued at shutdown is run too, so
// whatever it holds is released.
type Task interface {
	Run(s *Shard)
}

// msg is one inbox entry. Frames and pendings in it are owned by the inbox
// until handled.
type msg struct {
	kind    kind
	replica wire.ReplicaID
	client  wire.ClientID
	frame   *wire.Frame
	pending transport.Pending
	fn      func(*Shard)
	task    Task
}

// discard frees what an unhandled message holds.
func (m *msg) discard() {
	if m.frame != nil {
		m.frame.Release()
	}
	if m.pending != nil {
		m.pending.Close()
	}
}

// Shard is one shard: a goroutine, its inbox and its bus. Only the shard's
// goroutine runs the Handlers and touches shard state (S5).
type Shard struct {
	id  wire.ShardID
	rt  *Runtime
	bus *bus.Bus
	log *slog.Logger

	life, cons, reply, data, client chan msg
}

// ID returns the shard's index.
func (s *Shard) ID() wire.ShardID { return s.id }

// Bus returns the shard's bus. Its sends are safe from any goroutine.
func (s *Shard) Bus() *bus.Bus { return s.bus }

// Runtime returns the runtime the shard belongs to.
func (s *Shard) Runtime() *Runtime { return s.rt }

// Post queues fn to run on the shard's goroutine (lifecycle lane). It never
// blocks: a full lane returns ErrInboxFull.
func (s *Shard) Post(fn func(*Shard)) error {
	return try(s.life, msg{kind: kindRun, fn: fn})
}

// PostWait queues fn like Post, but waits while the lifecycle lane is
// full, until the runtime stops (ErrStopped). It is for goroutines that are
// not shards and fan work out to owners (the metadata writer creating a
// topic's thousand partitions): a shard must not wait on a shard.
func (s *Shard) PostWait(fn func(*Shard)) error {
	select {
	case <-s.rt.quit:
		return ErrStopped
	default:
	}
	select {
	case s.life <- msg{kind: kindRun, fn: fn}:
		return nil
	case <-s.rt.quit:
		return ErrStopped
	}
}

// PostData queues t on the data lane: work for a partition this shard
// owns, from a shard that read the request. It never blocks: a full lane
// returns ErrInboxFull.
func (s *Shard) PostData(t Task) error { return try(s.data, msg{kind: kindTask, task: t}) }

// PostReply queues t on the reply lane: the answer to a request of a
// client this shard owns. It never blocks: a full lane returns
// ErrInboxFull.
func (s *Shard) PostReply(t Task) error { return try(s.reply, msg{kind: kindTask, task: t}) }

func try(lane chan msg, m msg) error {
	select {
	case lane <- m:
		return nil
	default:
		return ErrInboxFull
	}
}

// deliver is the readers' path into a lane: it blocks while the lane is
// full (flow control on that one connection) until the runtime stops.
func (s *Shard) deliver(lane chan msg, m msg) {
	select {
	case lane <- m:
	case <-s.rt.quit:
		m.discard()
	}
}

// run is the shard loop: each round it serves up to Burst messages from
// each lane in priority order, lifecycle, consensus, reply, data, client
// (answers before new work, forwarded work before new requests); when all
// are empty it waits on all of them.
func (s *Shard) run() {
	burst := s.rt.cfg.Burst
	for {
		select {
		case <-s.rt.quit:
			s.drain()
			return
		default:
		}
		n := s.serve(s.life, burst) + s.serve(s.cons, burst) + s.serve(s.reply, burst) + s.serve(s.data, burst) +
			s.serve(s.client, burst)
		if n > 0 {
			continue
		}
		select {
		case m := <-s.life:
			s.handle(m)
		case m := <-s.cons:
			s.handle(m)
		case m := <-s.reply:
			s.handle(m)
		case m := <-s.data:
			s.handle(m)
		case m := <-s.client:
			s.handle(m)
		case <-s.rt.quit:
			s.drain()
			return
		}
	}
}

func (s *Shard) serve(lane chan msg, max int) int {
	for i := range max {
		select {
		case m := <-lane:
			s.handle(m)
		default:
			return i
		}
	}
	return max
}

// drain empties the inbox at shutdown: posted functions still run (their
// posters may wait on them); frames and connections are released.
func (s *Shard) drain() {
	for _, lane := range []chan msg{s.life, s.cons, s.reply, s.data, s.client} {
		for {
			select {
			case m := <-lane:
				switch m.kind {
				case kindRun:
					m.fn(s)
				case kindTask:
					m.task.Run(s)
				default:
					m.discard()
				}
				continue
			default:
			}
			break
		}
	}
}

func (s *Shard) handle(m msg) {
	h := &s.rt.handlers
	switch m.kind {
	case kindRun:
		m.fn(s)
	case kindTask:
		m.task.Run(s)
	case kindClientSetup:
		// A refusal by the bus's Gate is logged there, rate-limited: a
		// flood of connections must not flood the log.
		if err := s.bus.AcceptClient(m.client, m.pending); err != nil && !errors.Is(err, bus.ErrTooManyUnauthenticated) {
			s.log.Warn("client setup refused", "client", m.client, "err", err)
		}
	case kindReplicaSetup:
		s.setupReplica(m.replica, m.pending)
	case kindReplicaInbound:
		s.setupInbound(m.pending.(InboundReplica))
	case kindConnectionLost:
		if h.OnConnectionLost != nil {
			h.OnConnectionLost(s, m.replica)
		}
	case kindClientLost:
		if h.OnClientLost != nil {
			h.OnClientLost(s, m.client)
		}
	case kindClientInstalled:
		if h.OnClientInstalled != nil {
			h.OnClientInstalled(s, m.client)
		}
	case kindReplicaMessage:
		if h.OnReplicaMessage != nil {
			h.OnReplicaMessage(s, m.replica, m.frame)
		} else {
			m.frame.Release()
		}
	case kindForwardReplica:
		if err := s.bus.SendToReplica(m.replica, m.frame); err != nil {
			s.log.Debug("forwarded replica send failed", "replica", m.replica, "err", err)
			m.frame.Release()
		}
	case kindForwardClient:
		if err := s.bus.SendToClient(m.client, m.frame); err != nil {
			s.log.Debug("forwarded client send failed", "client", m.client, "err", err)
			m.frame.Release()
		}
	case kindRequest:
		if h.OnRequest != nil {
			h.OnRequest(s, m.client, m.frame)
		} else {
			m.frame.Release()
		}
	}
}

// setupReplica claims r in the owner table and hands the connection to the
// bus; a failed handshake or install releases the claim.
func (s *Shard) setupReplica(r wire.ReplicaID, p transport.Pending) {
	owners := &s.rt.owners
	if !owners.Claim(r, s.id) {
		owner, _ := owners.Owner(r)
		s.log.Warn("replica already connected on another shard; dropped", "replica", r, "owner", owner)
		p.Close()
		return
	}
	err := s.bus.AcceptReplica(r, p, func(err error) {
		if err != nil {
			owners.ClearIfOwned(r, s.id)
		}
	})
	if err != nil {
		owners.ClearIfOwned(r, s.id)
	}
}

// busHooks wires a shard's bus to the runtime.
func (s *Shard) busHooks(log *slog.Logger) bus.Hooks {
	rt := s.rt
	return bus.Hooks{
		OnRequest: func(id wire.ClientID, f *wire.Frame) {
			s.deliver(s.client, msg{kind: kindRequest, client: id, frame: f})
		},
		OnReplicaMessage: func(r wire.ReplicaID, f *wire.Frame) {
			s.deliver(s.cons, msg{kind: kindReplicaMessage, replica: r, frame: f})
		},
		OnConnectionLost: func(r wire.ReplicaID) {
			rt.owners.ClearIfOwned(r, s.id)
			if err := try(rt.shards[0].life, msg{kind: kindConnectionLost, replica: r}); err != nil {
				s.log.Warn("shard 0 inbox refused connection-lost", "replica", r, "err", err)
			}
		},
		OnClientInstalled: func(id wire.ClientID) {
			if rt.handlers.OnClientInstalled != nil {
				_ = try(s.life, msg{kind: kindClientInstalled, client: id}) // best effort: see Handlers
			}
		},
		OnClientLost: func(id wire.ClientID) {
			// Blocks only while the lane is full (like a reader), so the
			// shard hears of every close in order with the requests before it.
			s.deliver(s.life, msg{kind: kindClientLost, client: id})
		},
		ForwardClient: func(owner wire.ShardID, id wire.ClientID, f *wire.Frame) error {
			if int(owner) >= len(rt.shards) {
				return bus.ErrNotConnected
			}
			if try(rt.shards[owner].reply, msg{kind: kindForwardClient, client: id, frame: f}) != nil {
				return bus.ErrBackpressure
			}
			return nil
		},
		ReplicaOwner: rt.owners.Owner,
		ForwardReplica: func(owner wire.ShardID, r wire.ReplicaID, f *wire.Frame) error {
			if try(rt.shards[owner].cons, msg{kind: kindForwardReplica, replica: r, frame: f}) != nil {
				return bus.ErrBackpressure
			}
			return nil
		},
		Logger: log,
		Gate:   rt.gate,
	}
}
