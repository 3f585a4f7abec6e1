package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/chaos/history"
	"github.com/shoal-io/shoal/internal/wire"
)

// Reply statuses of the metadata operations the cluster workload runs,
// by what they mean to the history's model.
var (
	existsStatuses   = []wire.Status{wire.StatusStreamNameAlreadyExists, wire.StatusTopicNameAlreadyExists, wire.StatusUserAlreadyExists}
	notFoundStatuses = []wire.Status{wire.StatusResourceNotFound, wire.StatusStreamIdNotFound, wire.StatusStreamNameNotFound,
		wire.StatusTopicIdNotFound, wire.StatusTopicNameNotFound}
)

// outcome classifies a client call's error: Ok with a Code for success
// and for the refusals the model knows (exists, not found); Failed when
// nothing was sent; Unknown otherwise (a broken connection, a timeout, a
// 58 TransientNotAccepted window that ran out: the operation may still
// commit).
func outcome(err error) (history.Result, history.Code) {
	var se *client.StatusError
	switch {
	case err == nil:
		return history.Ok, history.OK
	case errors.Is(err, client.ErrNotLoggedIn):
		return history.Failed, 0
	case errors.As(err, &se) && slices.Contains(existsStatuses, se.Status):
		return history.Ok, history.Exists
	case errors.As(err, &se) && slices.Contains(notFoundStatuses, se.Status):
		return history.Ok, history.NotFound
	}
	return history.Unknown, 0
}

// metaClient runs the cluster workload for one client: metadata
// operations on uniquely named streams and users, through the client
// package's leader following, recorded in a history. It is used by one
// goroutine.
type metaClient struct {
	id      int
	rng     *rand.Rand
	rec     *history.Recorder
	addrs   string
	window  time.Duration // the client's transient (57/58) window
	timeout time.Duration // per operation
	cl      *client.Client
	seq     int
	live    []string // streams this client may have made, to aim at
	gone    []string // streams it deleted or renamed away, to read
}

func (m *metaClient) close() {
	if m.cl != nil {
		m.cl.Close()
	}
}

// connect dials the cluster (and logs in) if the client has no
// connection yet; it records nothing.
func (m *metaClient) connect(ctx context.Context) error {
	if m.cl != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	cl, err := client.Dial(ctx, m.addrs, client.WithCredentials("iggy", "iggy"), client.WithHeartbeat(0),
		client.WithTransientWindow(m.window))
	if err != nil {
		return err
	}
	m.cl = cl
	return nil
}

func (m *metaClient) fresh(prefix string) string {
	m.seq++
	return fmt.Sprintf("%s%d-%d", prefix, m.id, m.seq)
}

// pick returns a random name of list, or "" when it is empty.
func (m *metaClient) pick(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[m.rng.IntN(len(list))]
}

func (m *metaClient) forget(name string) {
	m.live = slices.DeleteFunc(m.live, func(s string) bool { return s == name })
	m.gone = append(m.gone, name)
}

// step runs one random operation and records it.
func (m *metaClient) step(ctx context.Context) {
	target := m.pick(m.live)
	x := m.rng.IntN(100)
	switch {
	case x < 25 || target == "" && x < 70:
		name := m.fresh("s")
		m.write(ctx, history.CreateStream, history.Args{Partition: history.Partition{Stream: name}}, func(cl *client.Client, ctx context.Context) error {
			_, err := cl.CreateStream(ctx, name)
			return err
		})
		m.live = append(m.live, name) // aimed at even when unknown
	case x < 35:
		m.write(ctx, history.DeleteStream, history.Args{Partition: history.Partition{Stream: target}}, func(cl *client.Client, ctx context.Context) error {
			return cl.DeleteStream(ctx, client.NamedID(target))
		})
		m.forget(target)
	case x < 50:
		topic := fmt.Sprintf("t%d", m.rng.IntN(3))
		m.write(ctx, history.CreateTopic, history.Args{Partition: history.Partition{Stream: target, Topic: topic}}, func(cl *client.Client, ctx context.Context) error {
			_, err := cl.CreateTopic(ctx, client.NamedID(target), topic, 1, nil)
			return err
		})
	case x < 60:
		to := m.fresh("s")
		m.write(ctx, history.RenameStream, history.Args{Partition: history.Partition{Stream: target}, Name: to}, func(cl *client.Client, ctx context.Context) error {
			return cl.UpdateStream(ctx, client.NamedID(target), to)
		})
		m.forget(target)
		m.live = append(m.live, to)
	case x < 70:
		name := m.fresh("u")
		m.write(ctx, history.CreateUser, history.Args{Name: name}, func(cl *client.Client, ctx context.Context) error {
			_, err := cl.CreateUser(ctx, name, "chaos-password", client.UserActive)
			return err
		})
	case x < 90:
		if len(m.gone) > 0 && m.rng.IntN(4) == 0 {
			target = m.pick(m.gone)
		}
		m.getStream(ctx, target)
	default:
		m.listStreams(ctx)
	}
}

// write runs one metadata write and records its outcome.
func (m *metaClient) write(ctx context.Context, k history.Kind, a history.Args, do func(*client.Client, context.Context) error) {
	if err := m.connect(ctx); err != nil {
		return // nothing was invoked
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	call := m.rec.Invoke(m.id, k, a)
	err := do(m.cl, ctx)
	switch res, code := outcome(err); res {
	case history.Ok:
		call.Ok(history.Reply{Code: code})
	case history.Failed:
		call.Fail(err)
	default:
		call.Unknown(err)
	}
}

// getStream reads one stream and records what it found.
func (m *metaClient) getStream(ctx context.Context, name string) {
	if name == "" || m.connect(ctx) != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	call := m.rec.Invoke(m.id, history.GetStream, history.Args{Partition: history.Partition{Stream: name}})
	s, err := m.cl.GetStream(ctx, client.NamedID(name))
	var nf *client.NotFoundError
	switch {
	case err == nil:
		names := []string{}
		for _, t := range s.Topics {
			names = append(names, t.Name)
		}
		slices.Sort(names)
		call.Ok(history.Reply{Found: true, Names: names})
	case errors.As(err, &nf):
		call.Ok(history.Reply{})
	default:
		call.Unknown(err)
	}
}

// listStreams reads every stream name and records them.
func (m *metaClient) listStreams(ctx context.Context) {
	if m.connect(ctx) != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	call := m.rec.Invoke(m.id, history.ListStreams, history.Args{})
	ss, err := m.cl.GetStreams(ctx)
	if err != nil {
		call.Unknown(err)
		return
	}
	names := []string{}
	for _, s := range ss {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	call.Ok(history.Reply{Names: names})
}
