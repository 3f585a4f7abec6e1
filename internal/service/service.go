package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/wire"
)

var (
	// ErrBusy means the metadata writer's queue is full; nothing was
	// taken. Clients retry the TransientNotAccepted it is answered with.
	ErrBusy = errors.New("service: metadata writer busy")
	// ErrClosed means the Service is closed; nothing was taken.
	ErrClosed = errors.New("service: closed")
	// ErrPasswordsBusy means every password worker is busy and the pool's
	// queue is full (issue 15: argon2 costs 19 MiB a check, so they are
	// bounded); nothing was taken.
	ErrPasswordsBusy = errors.New("service: password checks busy")
)

// DefaultQueue is the metadata writer's queue length when Config.Queue is
// zero.
const DefaultQueue = 4096

// Caller is who asks: the session's user and its VSR client id.
type Caller struct {
	UserID uint32
	Client wire.ClientID
}

// Storage is this node's partition storage, for the proposer's check
// before an operation that creates partitions: apply creates, drops and
// purges partitions on every replica (internal/metagroup), but the
// proposing node creates them first, so that a disk that cannot hold them
// refuses the operation instead of committing a topic no replica can
// serve. Both methods run on the metadata writer and return once the work
// is done.
type Storage interface {
	// Create creates the partitions of EffectCreatePartitions effects.
	// On error it has removed what it created, and the operation is
	// refused.
	Create(effects []metadata.Effect) error
	// Carry does drop effects: it undoes a Create whose operation was
	// then refused or not proposed.
	Carry(effects []metadata.Effect)
}

// Log commits metadata operations: the metadata consensus group
// (*metagroup.Group). Propose returns once the operation is committed and
// applied here; on a backup it refuses with metagroup.ErrNotPrimary, and
// logins and logouts are forwarded to the primary instead.
type Log interface {
	Propose(op metadata.Op) (metadata.Result, *metadata.State, error)
	ForwardRegister(client wire.ClientID, user uint32) (wire.Epoch, wire.ForwardRegisterOutcome, error)
	ForwardLogout(client wire.ClientID, epoch wire.Epoch) (wire.ForwardLogoutOutcome, error)
}

// Config configures a Service.
type Config struct {
	Store   *metadata.Store // required; the Service does not close it
	Log     Log             // required; commits what Store shows
	Storage Storage         // required
	// Shards is the number of shards new partitions are placed on.
	Shards uint32
	// Now is the clock operation timestamps come from; nil means time.Now.
	Now func() time.Time
	// Queue bounds the writes waiting for the writer; 0 means DefaultQueue.
	Queue int
	// Passwords runs password hashing and checking (argon2, 19 MiB each)
	// with bounded concurrency; nil means a pool of auth.DefaultWorkers.
	// The Service closes it.
	Passwords *auth.Pool
	Logger    *slog.Logger // nil discards
}

// Outcome is the result of a write.
type Outcome struct {
	// Status is StatusOK or why the operation did not take effect.
	Status wire.Status
	// Result is the applied operation's result (ids, session epoch).
	Result metadata.Result
	// State is the committed state right after the operation, for the
	// front end to render its reply from; nil when the operation failed
	// before it was proposed.
	State *metadata.State
}

// Done receives an operation's outcome, exactly once.
type Done func(Outcome)

// failed is the outcome of an operation refused before it was proposed.
func failed(st wire.Status) Outcome { return Outcome{Status: st} }

// Service runs operations. Create it with New, stop it with Close.
type Service struct {
	store     *metadata.Store
	log       Log
	storage   Storage
	passwords *auth.Pool
	shards    uint32
	now       func() time.Time
	logger    *slog.Logger

	work     chan func()   // the writer's queue
	forwards chan struct{} // a slot per login or logout forwarded to the primary
	wg       sync.WaitGroup

	mu sync.Mutex // guards the following fields
	// +checklocks:mu
	closed bool
	// +checklocks:mu
	quit chan struct{}
}

// New starts a Service's metadata writer.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, log: cfg.Log, storage: cfg.Storage, passwords: cfg.Passwords, shards: max(cfg.Shards, 1), now: cfg.Now,
		logger: cfg.Logger, forwards: make(chan struct{}, maxForwards), work: make(chan func(), cmpOr(cfg.Queue, DefaultQueue)), quit: make(chan struct{})}
	if s.passwords == nil {
		s.passwords = auth.NewPool(0, 0)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.wg.Add(1)
	go s.writer(s.quit)
	return s
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// writer runs queued writes one at a time until quit closes, then runs
// what is still queued (every done is called) and returns.
func (s *Service) writer(quit chan struct{}) {
	defer s.wg.Done()
	for {
		select {
		case fn := <-s.work:
			fn()
		case <-quit:
			for {
				select {
				case fn := <-s.work:
					fn()
				default:
					return
				}
			}
		}
	}
}

// Close stops taking operations, lets the writer finish what it holds and
// waits for it and every password check in flight. Their done callbacks
// run before Close returns (a password check still queued is answered
// StatusError: the writer no longer takes its result).
func (s *Service) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.quit)
	s.mu.Unlock()
	s.passwords.Close()
	s.wg.Wait()
}

// State returns the committed metadata: immutable, safe from any
// goroutine.
func (s *Service) State() *metadata.State { return s.store.Current() }

// submit queues fn for the writer without blocking.
func (s *Service) submit(fn func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.work <- fn:
		return nil
	default:
		return ErrBusy
	}
}

// offload runs password work on the password pool (argon2 is slow and
// takes 19 MiB by design; the pool bounds how many run at once, issue 15),
// then then on the writer. A full pool refuses with ErrPasswordsBusy. If the writer
// is busy or closed once the work is done, done gets TransientNotAccepted
// or StatusError from the pool's goroutine.
func (s *Service) offload(work func(), then func(), done Done) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	err := s.passwords.Submit(context.Background(), func() {
		work()
		switch err := s.submit(then); {
		case errors.Is(err, ErrBusy):
			done(failed(wire.StatusTransientNotAccepted))
		case err != nil:
			done(failed(wire.StatusError))
		}
	})
	switch {
	case errors.Is(err, auth.ErrBusy):
		return ErrPasswordsBusy
	case err != nil:
		return ErrClosed
	}
	return nil
}

// propose commits op through the metadata log (S12: done reports it only
// after a replication quorum has it and it is applied here). It runs on
// the writer.
//
// Partitions an operation creates are created here first (Storage.Create,
// on a preview of the apply): a creation that fails is refused with
// StatusCannotCreatePartition and leaves nothing behind (issue 15). Apply
// then finds them in place on this node and creates them on the others.
//
// A replica that is not the primary, or whose proposal lane is full,
// answers TransientNotAccepted (58): the operation never entered the log,
// so the client may look for the leader and send it again there. An
// outcome the log cannot tell (no commit seen in time, or the view changed
// meanwhile) is answered TransientNotCommitted (57), and logged: the
// operation may still commit, so the client may only replay it on its
// session (wire.md §2.6 item 5), never send it again elsewhere, which
// would apply it twice.
func (s *Service) propose(op metadata.Op) Outcome {
	var created []metadata.Effect
	if creates(op) {
		preview := s.store.Current().Preview(op)
		if !preview.OK() {
			return Outcome{Status: preview.Status, Result: preview}
		}
		created = only(preview.Effects, metadata.EffectCreatePartitions)
		if err := s.storage.Create(created); err != nil {
			s.logger.Error("partitions not created; operation refused", "kind", op.Kind(), "err", err)
			return failed(wire.StatusCannotCreatePartition)
		}
	}
	r, st, err := s.log.Propose(op)
	if err != nil {
		if !errors.Is(err, metagroup.ErrUnknown) && len(created) > 0 {
			s.storage.Carry(dropping(created)) // never proposed
		}
		switch {
		case errors.Is(err, metagroup.ErrUnknown): // first: a stop with a proposal in flight is unknown too
			s.logger.Warn("metadata operation outcome unknown", "kind", op.Kind(), "err", err)
			return failed(wire.StatusTransientNotCommitted)
		case errors.Is(err, metagroup.ErrNotPrimary), errors.Is(err, metagroup.ErrBusy), errors.Is(err, metagroup.ErrStopped):
			return failed(wire.StatusTransientNotAccepted)
		}
		s.logger.Error("metadata proposal failed", "kind", op.Kind(), "err", err)
		return failed(wire.StatusError)
	}
	if !r.OK() {
		// Committed as a rejection (another proposer's operation got in
		// first): undo what this node created for it.
		if len(created) > 0 {
			s.storage.Carry(dropping(created))
		}
		return Outcome{Status: r.Status, Result: r}
	}
	return Outcome{Status: wire.StatusOK, Result: r, State: st}
}

// creates reports whether op may create partitions.
func creates(op metadata.Op) bool {
	switch op.(type) {
	case metadata.CreateTopic, metadata.CreatePartitions:
		return true
	}
	return false
}

func only(effects []metadata.Effect, k metadata.EffectKind) []metadata.Effect {
	var out []metadata.Effect
	for _, e := range effects {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// dropping turns creations into the drops that undo them.
func dropping(created []metadata.Effect) []metadata.Effect {
	out := make([]metadata.Effect, len(created))
	for i, e := range created {
		out[i] = metadata.Effect{Kind: metadata.EffectDropPartitions, Topic: e.Topic, From: e.From}
	}
	return out
}

// write queues a write: on the writer it checks the caller against sc and
// ids on the committed state, builds the operation from that state and
// proposes it.
func (s *Service) write(c Caller, sc auth.Scope, ids []wire.Identifier, build func(st *metadata.State) (metadata.Op, wire.Status), done Done) error {
	return s.submit(func() {
		st := s.store.Current()
		if code := auth.AuthorizeIDs(st, c.UserID, sc, ids...); code != wire.StatusOK {
			done(failed(code))
			return
		}
		op, code := build(st)
		if code != wire.StatusOK {
			done(failed(code))
			return
		}
		done(s.propose(op))
	})
}

// micros is the clock in µs since the Unix epoch, for operation
// timestamps.
func (s *Service) micros() uint64 { return uint64(s.now().UnixMicro()) }

// just adapts a fixed operation to write's build.
func just(op metadata.Op) func(*metadata.State) (metadata.Op, wire.Status) {
	return func(*metadata.State) (metadata.Op, wire.Status) { return op, wire.StatusOK }
}
