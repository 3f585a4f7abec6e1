package metadata

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"

	"github.com/shoal-io/shoal/internal/journal"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// JournalPath is where the metadata log lives, relative to the data
// directory (system.path).
const JournalPath = "metadata/journal.log"

// ErrClosed is returned by a Store after Close.
var ErrClosed = errors.New("metadata: store closed")

// Store is the durable metadata state: a State whose every change is
// appended to the journal and fsynced before it is applied and reported
// (S12). It is safe for concurrent use; proposals are serialised.
//
// Reads take no lock: each commit publishes a new immutable State
// (cow.go), and Current returns the latest one. A proposal holds the
// writers' mutex through its append and fsync, which never delays a
// reader.
type Store struct {
	params HashParams   // immutable
	dummy  PasswordHash // immutable; verified against for unknown users

	cur atomic.Pointer[State] // the committed state; never modified once stored

	mu sync.Mutex // serialises writers; guards the following fields
	// +checklocks:mu
	j *journal.Journal
	// +checklocks:mu
	closed bool
}

// Options configures a Store. The zero value is valid.
type Options struct {
	// HashParams are the argon2id costs for new password hashes; the zero
	// value means DefaultHashParams. Tests use TestHashParams.
	HashParams HashParams
}

// Open opens (or creates) the metadata log under dataDir and replays it
// into a fresh State. A corrupt log fails with an error for which
// journal.IsCorrupt is true.
func Open(fsys vfs.FS, dataDir string, opts Options) (*Store, error) {
	p := opts.HashParams
	if p == (HashParams{}) {
		p = DefaultHashParams
	}
	dummy := PasswordHash{Time: p.Time, Memory: p.Memory, Threads: p.Threads,
		Salt: make([]byte, p.SaltLen), Key: make([]byte, p.KeyLen)}
	if err := dummy.validate(int(p.KeyLen)); err != nil {
		return nil, fmt.Errorf("metadata: hash parameters: %w", err)
	}
	st := NewState()
	j, err := journal.Open(fsys, path.Join(dataDir, JournalPath), journal.Options{}, func(_ uint64, rec []byte) error {
		st.Apply(rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("metadata: open: %w", err)
	}
	s := &Store{params: p, dummy: dummy, j: j}
	s.cur.Store(st)
	return s, nil
}

// Current returns the latest committed state. It is safe from any
// goroutine and takes no lock; the State must not be modified, and it
// stays valid (unchanged) however many commits follow.
func (s *Store) Current() *State { return s.cur.Load() }

// Propose makes op durable and applies it. An operation that would be
// rejected (State.Check) or cannot be encoded is answered at once and not
// journaled. Otherwise it is appended and fsynced, and only then applied;
// the Result is what the caller may report. An error means the outcome is
// unknown (the journal failed and is poisoned) and nothing may be
// acknowledged.
func (s *Store) Propose(op Op) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proposeLocked(op)
}

// proposeLocked is Propose. s.mu must be held.
func (s *Store) proposeLocked(op Op) (Result, error) {
	if s.closed {
		return Result{}, ErrClosed
	}
	if s.j == nil {
		return Result{}, ErrNoJournal
	}
	cur := s.cur.Load()
	if r := cur.Check(op); !r.OK() {
		return r, nil
	}
	b := Encode(op)
	if _, err := Decode(b); err != nil {
		return Result{Status: decodeStatus(err)}, nil
	}
	if _, err := s.j.Append(b); err != nil {
		return Result{}, fmt.Errorf("metadata: propose %v: %w", op.Kind(), err)
	}
	if err := s.j.Sync(); err != nil {
		return Result{}, fmt.Errorf("metadata: propose %v: %w", op.Kind(), err)
	}
	next := cur.next(op)
	r := next.Apply(b)
	s.cur.Store(next)
	return r, nil
}

// View calls fn with the current state (see Current). fn must not modify
// it.
func (s *Store) View(fn func(st *State)) { fn(s.Current()) }

// Authenticate checks a username and password. It returns the user on
// success, StatusInvalidCredentials for an unknown user or a wrong
// password (indistinguishable to the caller), and StatusUserInactive for
// an inactive user with the right password. The argon2 work runs without
// the lock held.
func (s *Store) Authenticate(username, password string) (User, wire.Status) {
	var u User
	var ok bool
	s.View(func(st *State) { u, ok = st.UserByName(username) })
	if !ok {
		// Spend the same work as a real check so response time does not
		// reveal which usernames exist.
		s.dummy.Verify(password)
		return User{}, wire.StatusInvalidCredentials
	}
	if !u.Password.Verify(password) {
		return User{}, wire.StatusInvalidCredentials
	}
	if u.Status != UserActive {
		return User{}, wire.StatusUserInactive
	}
	return u, wire.StatusOK
}

// HashPassword hashes password with the store's parameters and a fresh
// salt from random (nil means crypto/rand), for a CreateUser or
// ChangePassword proposal.
func (s *Store) HashPassword(password string, random io.Reader) (PasswordHash, error) {
	return HashPassword(password, s.params, random)
}

// Close closes the journal. Every acknowledged operation is already
// durable.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	if s.j == nil {
		return nil
	}
	return s.j.Close()
}

// NewStore returns a Store without a journal of its own, for a replicated
// log that makes operations durable before they are committed (the
// metadata consensus group): Commit applies each committed operation.
// base is the state to start from (nil means empty): LoadJournal's state
// for a data directory written before the metadata moved to the VSR log.
// Propose fails on such a store.
func NewStore(base *State, opts Options) (*Store, error) {
	p := opts.HashParams
	if p == (HashParams{}) {
		p = DefaultHashParams
	}
	dummy := PasswordHash{Time: p.Time, Memory: p.Memory, Threads: p.Threads,
		Salt: make([]byte, p.SaltLen), Key: make([]byte, p.KeyLen)}
	if err := dummy.validate(int(p.KeyLen)); err != nil {
		return nil, fmt.Errorf("metadata: hash parameters: %w", err)
	}
	if base == nil {
		base = NewState()
	}
	s := &Store{params: p, dummy: dummy}
	s.cur.Store(base)
	return s, nil
}

// ErrNoJournal is returned by Propose on a Store made by NewStore.
var ErrNoJournal = errors.New("metadata: store has no journal; propose through the consensus group")

// Commit applies the operation committed at consensus op op, as encoded by
// Encode (op numbers a Register's session epoch), and
// publishes the state it produces, which it returns with the result. An
// operation that does not decode, or that Check refuses, changes nothing
// but the count of applied operations: every replica applies the same
// bytes and gets the same answer. Commit is the state machine step of the
// metadata consensus group; it never fails.
func (s *Store) Commit(op uint64, b []byte) (Result, *State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	var next *State
	if o, err := Decode(b); err == nil {
		next = cur.next(o)
	} else {
		n := *cur
		next = &n
	}
	next.at = op
	r := next.Apply(b)
	s.cur.Store(next)
	return r, next
}

// LoadJournal replays the metadata journal under dataDir (JournalPath),
// written by a Shoal before the metadata moved to the VSR log, and reports
// whether there was one. Without one it returns an empty State.
func LoadJournal(fsys vfs.FS, dataDir string) (*State, bool, error) {
	name := path.Join(dataDir, JournalPath)
	if _, err := fsys.Stat(name); errors.Is(err, fs.ErrNotExist) {
		return NewState(), false, nil
	}
	st := NewState()
	j, err := journal.Open(fsys, name, journal.Options{}, func(_ uint64, rec []byte) error {
		st.Apply(rec)
		return nil
	})
	if err != nil {
		return nil, true, fmt.Errorf("metadata: load %s: %w", name, err)
	}
	if err := j.Close(); err != nil {
		return nil, true, fmt.Errorf("metadata: load %s: %w", name, err)
	}
	return st, true, nil
}

// EndSession ends client's session, if it has one, and publishes the state
// (as a committed Logout of its epoch would, group memberships included):
// the metadata group calls it when the client table evicts the session, on
// every replica at the same op, so the metadata keeps only the sessions the
// table holds. It changes nothing else (not the count of applied
// operations).
func (s *Store) EndSession(client wire.ClientID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cur.Load()
	e, ok := cur.Session(client)
	if !ok {
		return
	}
	o := Logout{Client: client, Epoch: e.Epoch}
	next := cur.next(o)
	next.ApplyOp(o)
	s.cur.Store(next)
}

// Restore replaces the committed state with st (a decoded checkpoint
// snapshot, DecodeSnapshot) and publishes it. The metadata group calls it
// when its replica restarts from a checkpoint or installs one by state
// transfer, before any later op is committed. st must not be modified
// afterwards.
func (s *Store) Restore(st *State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.Store(st)
}
