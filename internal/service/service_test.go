package service

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/metagroup"
	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/vsr"
	"github.com/shoal-io/shoal/internal/wire"
)

// carried records the effects the service (Create, Carry) and the
// metadata group's apply (Apply: drops and purges; the creations it finds
// done) ask for, in order; fail makes Create fail.
type carried struct {
	mu      sync.Mutex
	effects []metadata.Effect
	fail    error
}

func (c *carried) Create(e []metadata.Effect) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.effects = append(c.effects, e...)
	return nil
}

func (c *carried) Carry(e []metadata.Effect) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.effects = append(c.effects, e...)
}

func (c *carried) Apply(_ uint64, e []metadata.Effect) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range e {
		if x.Kind != metadata.EffectCreatePartitions {
			c.effects = append(c.effects, x)
		}
	}
}

// noPeers is the transport of a one-replica group: it has nobody to send to.
type noPeers struct{}

func (noPeers) SendToReplica(wire.ReplicaID, []byte) error { return errors.New("no peers") }

func newService(t *testing.T, queue int) (*Service, *carried) {
	return newServiceWith(t, queue, nil)
}

func newServiceWith(t *testing.T, queue int, pool *auth.Pool) (*Service, *carried) {
	t.Helper()
	s, c := startService(t, queue, pool)
	if created, err := s.Bootstrap(metadata.RootCredentials{Username: "iggy", Password: "iggy-secret"}); err != nil || !created {
		t.Fatalf("bootstrap: %v %v", created, err)
	}
	return s, c
}

// startService starts a service over a one-replica group, without a user.
func startService(t *testing.T, queue int, pool *auth.Pool) (*Service, *carried) {
	t.Helper()
	store, err := metadata.NewStore(nil, metadata.Options{HashParams: metadata.TestHashParams})
	if err != nil {
		t.Fatal(err)
	}
	c := &carried{}
	g, err := metagroup.Start(metagroup.Config{Store: store, Storage: c, FS: vfs.NewMem(), Dir: "meta",
		Replica: vsr.Config{Replicas: 1, Cluster: wire.Uint128{Lo: 1}}, Transport: noPeers{}})
	if err != nil {
		t.Fatal(err)
	}
	g.Opened()
	s := New(Config{Store: store, Log: g, Storage: c, Shards: 2, Queue: queue, Passwords: pool, Now: func() time.Time { return time.Unix(100, 0) }})
	t.Cleanup(func() {
		s.Close()
		g.Stop()
	})
	return s, c
}

// wait runs a write and returns its outcome.
func wait(t *testing.T, start func(Done) error) Outcome {
	t.Helper()
	ch := make(chan Outcome, 1)
	if err := start(func(o Outcome) { ch <- o }); err != nil {
		t.Fatal(err)
	}
	return <-ch
}

var root = Caller{UserID: metadata.RootUserID, Client: wire.ClientID{Lo: 1}}

// TestEffectsCarriedBeforeDone: a CreateTopic's partitions are asked for
// before its outcome is reported, and the outcome's state has the topic.
func TestEffectsCarriedBeforeDone(t *testing.T) {
	s, c := newService(t, 0)
	if o := wait(t, func(d Done) error { return s.CreateStream(root, wire.CreateStream{Name: "s"}, d) }); o.Status != wire.StatusOK {
		t.Fatal(o.Status)
	}
	var o Outcome
	ch := make(chan Outcome, 1)
	err := s.CreateTopic(root, wire.CreateTopic{Stream: wire.NumericID(0), Partitions: 3, Name: "t"}, func(out Outcome) {
		if len(c.effects) != 1 || c.effects[0].Kind != metadata.EffectCreatePartitions || len(c.effects[0].Topic.Partitions) != 3 {
			t.Errorf("effects at done: %+v", c.effects)
		}
		ch <- out
	})
	if err != nil {
		t.Fatal(err)
	}
	o = <-ch
	if o.Status != wire.StatusOK {
		t.Fatal(o.Status)
	}
	if _, st := o.State.ResolveTopic(wire.NumericID(0), wire.NumericID(o.Result.ID)); st != wire.StatusOK {
		t.Fatalf("outcome state lacks the topic: %v", st)
	}
}

// TestUnauthorizedWrite: a user without grants is refused on the writer
// and nothing is proposed.
func TestUnauthorizedWrite(t *testing.T) {
	s, _ := newService(t, 0)
	o := wait(t, func(d Done) error {
		return s.CreateUser(root, wire.CreateUser{Username: "bob", Password: "bob-secret"}, d)
	})
	if o.Status != wire.StatusOK {
		t.Fatal(o.Status)
	}
	bob := Caller{UserID: o.Result.UserID, Client: wire.ClientID{Lo: 2}}
	applied := s.State().Applied()
	if o := wait(t, func(d Done) error { return s.CreateStream(bob, wire.CreateStream{Name: "s"}, d) }); o.Status != wire.StatusUnauthorized {
		t.Fatalf("bob creates a stream: %v", o.Status)
	}
	if s.State().Applied() != applied {
		t.Fatal("a refused write was proposed")
	}
}

// TestBusyAndClose: with the writer held and its queue full a write is
// refused with ErrBusy and done is not called; Close runs what was queued
// (every done is called) and then refuses with ErrClosed.
func TestBusyAndClose(t *testing.T) {
	s, _ := newService(t, 1)
	hold, held := make(chan struct{}), make(chan struct{})
	if err := s.submit(func() { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	queued := make(chan Outcome, 1)
	if err := s.CreateStream(root, wire.CreateStream{Name: "a"}, func(o Outcome) { queued <- o }); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateStream(root, wire.CreateStream{Name: "b"}, func(Outcome) { t.Error("done of a refused write") }); err != ErrBusy {
		t.Fatalf("full queue: %v, want ErrBusy", err)
	}
	close(hold)
	s.Close()
	select {
	case o := <-queued:
		if o.Status != wire.StatusOK {
			t.Fatalf("queued write: %v", o.Status)
		}
	default:
		t.Fatal("Close returned before the queued write's done")
	}
	if err := s.DeleteStream(root, wire.StreamRequest{Stream: wire.NumericID(0)}, func(Outcome) {}); err != ErrClosed {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

// TestLogin: a password login registers a session; a wrong password is
// InvalidCredentials, and with a token body beside it the token is tried.
func TestLogin(t *testing.T) {
	s, _ := newService(t, 0)
	login := func(user, pass, token string) Login {
		ch := make(chan Login, 1)
		if err := s.LoginPassword(wire.ClientID{Lo: 7}, user, pass, token, func(l Login) { ch <- l }); err != nil {
			t.Fatal(err)
		}
		return <-ch
	}
	if l := login("iggy", "iggy-secret", ""); l.Evict != 0 || l.Epoch == 0 {
		t.Fatalf("root login: %+v", l)
	}
	if l := login("iggy", "wrong", ""); l.Evict != wire.EvictInvalidCredentials {
		t.Fatalf("wrong password: %+v", l)
	}
	if l := login("iggy", "wrong", "not-a-token"); l.Evict != wire.EvictInvalidToken {
		t.Fatalf("wrong password, bad token: %+v", l)
	}
}

// TestLoginBeforeRoot: before the metadata has any user (a new cluster
// whose root user is not committed yet, or not yet replicated to this
// backup) a login is transient, not invalid credentials: the client
// retries and no failure counts against the user.
func TestLoginBeforeRoot(t *testing.T) {
	s, _ := startService(t, 0, nil)
	ch := make(chan Login, 1)
	if err := s.LoginPassword(wire.ClientID{Lo: 7}, "iggy", "iggy-secret", "", func(l Login) { ch <- l }); err != nil {
		t.Fatal(err)
	}
	if l := <-ch; !l.Transient || l.Evict != 0 {
		t.Fatalf("login before the root user exists: %+v, want transient", l)
	}
}

// TestPasswordPoolFull: with every password worker busy and the pool's
// queue full, a login or a user creation is refused with ErrPasswordsBusy at once
// (the server answers TransientNotAccepted) instead of starting another
// 19 MiB argon2 run (issue 15).
func TestPasswordPoolFull(t *testing.T) {
	pool := auth.NewPool(1, 1)
	s, _ := newServiceWith(t, 0, pool)
	hold, held := make(chan struct{}), make(chan struct{})
	if err := pool.Submit(context.Background(), func() { close(held); <-hold }); err != nil {
		t.Fatal(err)
	}
	<-held
	if err := pool.Submit(context.Background(), func() {}); err != nil { // fills the queue
		t.Fatal(err)
	}
	if err := s.LoginPassword(wire.ClientID{Lo: 9}, "iggy", "iggy-secret", "", func(Login) { t.Error("done of a refused login") }); err != ErrPasswordsBusy {
		t.Fatalf("login with the pool full: %v, want ErrPasswordsBusy", err)
	}
	if err := s.CreateUser(root, wire.CreateUser{Username: "bob", Password: "bob-secret"}, func(Outcome) { t.Error("done of a refused create") }); err != ErrPasswordsBusy {
		t.Fatalf("create user with the pool full: %v, want ErrPasswordsBusy", err)
	}
	close(hold)
}

// TestCreateFailureRefusesTopic: when the partitions of a new topic cannot
// be created, the topic is refused with CannotCreatePartition and nothing
// is journaled (issue 15: a topic is never acknowledged without its
// partitions).
func TestCreateFailureRefusesTopic(t *testing.T) {
	s, c := newService(t, 0)
	if o := wait(t, func(d Done) error { return s.CreateStream(root, wire.CreateStream{Name: "s"}, d) }); o.Status != wire.StatusOK {
		t.Fatal(o.Status)
	}
	c.fail = errors.New("too many open files")
	applied := s.State().Applied()
	o := wait(t, func(d Done) error {
		return s.CreateTopic(root, wire.CreateTopic{Stream: wire.NumericID(0), Partitions: 2, Name: "t"}, d)
	})
	if o.Status != wire.StatusCannotCreatePartition {
		t.Fatalf("create with failing storage: %v", o.Status)
	}
	if s.State().Applied() != applied {
		t.Fatal("a topic whose partitions failed was journaled")
	}
	if _, st := s.State().ResolveTopic(wire.NumericID(0), wire.NamedID("t")); st == wire.StatusOK {
		t.Fatal("the refused topic exists")
	}
}

// TestAuthenticate: the sessionless checks of the HTTP API answer as a
// login would and journal nothing.
func TestAuthenticate(t *testing.T) {
	s, _ := newService(t, 0)
	auth := func(user, pass string) (uint32, wire.Status) {
		type res struct {
			id uint32
			st wire.Status
		}
		ch := make(chan res, 1)
		if err := s.Authenticate(user, pass, func(id uint32, st wire.Status) { ch <- res{id, st} }); err != nil {
			t.Fatal(err)
		}
		r := <-ch
		return r.id, r.st
	}
	applied := s.State().Applied()
	if id, st := auth("iggy", "iggy-secret"); st != wire.StatusOK || id != metadata.RootUserID {
		t.Fatalf("root: %d %v", id, st)
	}
	if _, st := auth("iggy", "wrong"); st != wire.StatusInvalidCredentials {
		t.Fatalf("wrong password: %v", st)
	}
	if _, st := auth("nobody", "iggy-secret"); st != wire.StatusInvalidCredentials {
		t.Fatalf("unknown user: %v", st)
	}
	if s.State().Applied() != applied {
		t.Fatal("Authenticate journaled an operation")
	}
	var token string
	ch := make(chan Outcome, 1)
	if err := s.CreateToken(root, wire.CreateToken{Name: "t"}, func(o Outcome, tok string) { token = tok; ch <- o }); err != nil {
		t.Fatal(err)
	}
	if o := <-ch; o.Status != wire.StatusOK {
		t.Fatal(o.Status)
	}
	if id, st := s.AuthenticateToken(token); st != wire.StatusOK || id != metadata.RootUserID {
		t.Fatalf("root's token: %d %v", id, st)
	}
	if _, st := s.AuthenticateToken("no such token"); st != wire.StatusInvalidPersonalAccessToken {
		t.Fatalf("unknown token: %v", st)
	}
}
