package chaos

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/chaos/history"
)

// Names the workload uses; few, so operations collide.
var (
	streamNames = []string{"a", "b", "c"}
	topicNames  = []string{"x", "y"}
	consumers   = []string{"g0", "g1"}
)

// logPartition is the history name of self-test partition i.
func logPartition(i int) history.Partition {
	return history.Partition{Stream: "chaos", Topic: "log", ID: uint32(i)}
}

// errNotSent marks a request that certainly never left the client.
var errNotSent = errors.New("chaos: request not sent")

// conn is a client's connection to one node.
type conn struct {
	c net.Conn
	r *bufio.Reader
}

// lineClient runs one self-test workload client. It is used by one goroutine.
type lineClient struct {
	id      int
	rng     *rand.Rand
	rec     *history.Recorder
	addr    func(to int) string // where this client reaches node to
	nodes   int
	parts   int
	timeout time.Duration
	conns   map[int]*conn
	seq     int
	known   map[int]int // partition → an offset known to exist
}

func (c *lineClient) close() {
	for _, cn := range c.conns {
		cn.c.Close()
	}
}

// roundTrip sends one request line to node to and reads the reply line.
// An error wrapping errNotSent means nothing was sent; any other error
// leaves the outcome unknown and drops the connection.
func (c *lineClient) roundTrip(to int, line string) (string, error) {
	cn := c.conns[to]
	if cn == nil {
		nc, err := net.DialTimeout("tcp", c.addr(to), c.timeout)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errNotSent, err)
		}
		cn = &conn{c: nc, r: bufio.NewReader(nc)}
		c.conns[to] = cn
	}
	_ = cn.c.SetDeadline(time.Now().Add(c.timeout))
	_, err := cn.c.Write([]byte(line + "\n"))
	var reply string
	if err == nil {
		reply, err = cn.r.ReadString('\n')
	}
	if err != nil {
		cn.c.Close()
		delete(c.conns, to)
		return "", err
	}
	return strings.TrimSuffix(reply, "\n"), nil
}

// do runs one operation against node to and records it; a nil error is an
// Ok result.
func (c *lineClient) do(to int, k history.Kind, a history.Args) (history.Reply, error) {
	call := c.rec.Invoke(c.id, k, a)
	line, err := c.roundTrip(to, request(k, a))
	var reply history.Reply
	if err == nil {
		if reply, err = parseReply(k, line); err == nil {
			call.Ok(reply)
			c.learn(k, a, reply)
			return reply, nil
		}
		c.conns[to].c.Close() // out of step with the server
		delete(c.conns, to)
	}
	if errors.Is(err, errNotSent) {
		call.Fail(err)
	} else {
		call.Unknown(err)
	}
	return reply, err
}

// learn remembers offsets that exist, to aim polls at data.
func (c *lineClient) learn(k history.Kind, a history.Args, r history.Reply) {
	p := int(a.Partition.ID)
	switch k {
	case history.Produce:
		c.known[p] = max(c.known[p], int(r.Offset)+len(a.Messages))
	case history.Poll:
		c.known[p] = max(c.known[p], int(a.Offset)+len(r.Messages))
	}
}

// next picks a random operation.
func (c *lineClient) next() (history.Kind, history.Args) {
	p := c.rng.IntN(c.parts)
	part := logPartition(p)
	meta := history.Partition{Stream: streamNames[c.rng.IntN(len(streamNames))], Topic: topicNames[c.rng.IntN(len(topicNames))]}
	switch x := c.rng.IntN(100); {
	case x < 35:
		msgs := make([]string, 1+c.rng.IntN(3))
		for i := range msgs {
			c.seq++
			msgs[i] = fmt.Sprintf("c%d-%d", c.id, c.seq)
		}
		return history.Produce, history.Args{Partition: part, Messages: msgs}
	case x < 60:
		// Mostly near the newest known offset, as consumers read; now and
		// then anywhere.
		off := max(0, c.known[p]-c.rng.IntN(8))
		if c.rng.IntN(4) == 0 {
			off = c.rng.IntN(c.known[p] + 2)
		}
		return history.Poll, history.Args{Partition: part, Offset: uint64(off), Count: 1 + c.rng.IntN(5)}
	case x < 70:
		c.seq++ // unique across clients: a read value names its store
		return history.StoreOffset, history.Args{Consumer: consumers[c.rng.IntN(len(consumers))], Partition: part,
			Offset: uint64(c.seq*c.nodes + c.id)}
	case x < 80:
		return history.GetOffset, history.Args{Consumer: consumers[c.rng.IntN(len(consumers))], Partition: part}
	case x < 98:
		kinds := []history.Kind{history.CreateStream, history.DeleteStream, history.CreateTopic, history.CreateTopic,
			history.DeleteTopic, history.GetStream, history.GetStream}
		return kinds[c.rng.IntN(len(kinds))], history.Args{Partition: meta}
	}
	return history.ListStreams, history.Args{}
}

// request encodes an operation as a request line (see store.handle).
func request(k history.Kind, a history.Args) string {
	p, s, t := strconv.Itoa(int(a.Partition.ID)), a.Partition.Stream, a.Partition.Topic
	switch k {
	case history.Produce:
		return "P " + p + " " + strings.Join(a.Messages, ",")
	case history.Poll:
		return fmt.Sprintf("R %s %d %d", p, a.Offset, a.Count)
	case history.StoreOffset:
		return fmt.Sprintf("S %s %s %d", a.Consumer, p, a.Offset)
	case history.GetOffset:
		return fmt.Sprintf("G %s %s", a.Consumer, p)
	case history.CreateStream:
		return "CS " + s
	case history.DeleteStream:
		return "DS " + s
	case history.CreateTopic:
		return "CT " + s + " " + t
	case history.DeleteTopic:
		return "DT " + s + " " + t
	case history.GetStream:
		return "GS " + s
	}
	return "LS"
}

var codes = map[string]history.Code{"OK": history.OK, "EXISTS": history.Exists, "NOTFOUND": history.NotFound}

// parseReply decodes a reply line for an operation of kind k.
func parseReply(k history.Kind, line string) (history.Reply, error) {
	var r history.Reply
	status, rest, _ := strings.Cut(line, " ")
	list := func() []string {
		if rest == "" {
			return nil
		}
		return strings.Split(rest, ",")
	}
	var err error
	switch k {
	case history.Produce:
		r.Offset, err = strconv.ParseUint(rest, 10, 64)
	case history.Poll:
		r.Messages = list()
	case history.StoreOffset:
	case history.GetOffset:
		if status == "NONE" {
			return r, nil
		}
		r.Found = true
		r.Offset, err = strconv.ParseUint(rest, 10, 64)
	case history.GetStream:
		if status == "NONE" {
			return r, nil
		}
		r.Found, r.Names = true, list()
	case history.ListStreams:
		r.Names = list()
	default:
		code, ok := codes[status]
		if !ok {
			return r, fmt.Errorf("chaos: bad reply %q", line)
		}
		r.Code = code
		return r, nil
	}
	if err != nil || status != "OK" {
		return r, fmt.Errorf("chaos: bad reply %q", line)
	}
	return r, nil
}
