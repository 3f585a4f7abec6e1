package chaos

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Bug is a deliberate defect of the self-test service, to show that the
// checkers catch what they claim to.
type Bug uint8

const (
	// BugNone: the service is correct.
	BugNone Bug = iota
	// BugLoseAck: every 5th produce is acknowledged but not appended (a
	// lost write).
	BugLoseAck
	// BugStaleRead: polls do not see the newest batch of a partition (a
	// stale read).
	BugStaleRead
)

var bugNames = map[string]Bug{"none": BugNone, "lose-ack": BugLoseAck, "stale-read": BugStaleRead}

// ParseBug parses a Bug name: none, lose-ack or stale-read.
func ParseBug(s string) (Bug, error) {
	b, ok := bugNames[s]
	if !ok {
		return 0, fmt.Errorf("chaos: unknown bug %q (none, lose-ack, stale-read)", s)
	}
	return b, nil
}

func (b Bug) String() string {
	for name, v := range bugNames {
		if v == b {
			return name
		}
	}
	return fmt.Sprintf("Bug(%d)", uint8(b))
}

// store is the state behind every node of the self-test service: partition
// logs, consumer offsets and stream/topic names. Every node serves the same
// store, so the service is linearizable by construction (one mutex) unless
// a Bug is set.
type store struct {
	bug Bug

	mu       sync.Mutex // guards the following
	logs     map[int][]string
	sizes    map[int][]int // batch sizes per partition, for BugStaleRead
	offsets  map[string]uint64
	streams  map[string]map[string]bool
	produces int
}

func newStore(bug Bug) *store {
	return &store{bug: bug, logs: map[int][]string{}, sizes: map[int][]int{}, offsets: map[string]uint64{},
		streams: map[string]map[string]bool{}}
}

// handle executes one request line and returns the reply line. The line
// protocol (one request, one reply, space-separated; lists comma-joined):
//
//	P part m1,m2      -> OK base           produce
//	R part off count  -> OK m1,m2          poll (an empty list is "OK ")
//	S consumer part off -> OK              store offset
//	G consumer part   -> OK off | NONE     get offset
//	CS s | DS s | CT s t | DT s t -> OK | EXISTS | NOTFOUND
//	GS s              -> OK t1,t2 | NONE   get stream
//	LS                -> OK s1,s2          list streams
func (s *store) handle(line string) string {
	f := strings.Split(line, " ")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case f[0] == "P" && len(f) == 3:
		p, msgs := atoi(f[1]), strings.Split(f[2], ",")
		base := len(s.logs[p])
		s.produces++
		if s.bug == BugLoseAck && s.produces%5 == 0 {
			return "OK " + strconv.Itoa(base)
		}
		s.logs[p] = append(s.logs[p], msgs...)
		s.sizes[p] = append(s.sizes[p], len(msgs))
		return "OK " + strconv.Itoa(base)
	case f[0] == "R" && len(f) == 4:
		p, off, n := atoi(f[1]), atoi(f[2]), atoi(f[3])
		l := s.logs[p]
		if sz := s.sizes[p]; s.bug == BugStaleRead && len(sz) > 0 {
			l = l[:len(l)-sz[len(sz)-1]]
		}
		lo := min(off, len(l))
		return "OK " + strings.Join(l[lo:min(lo+n, len(l))], ",")
	case f[0] == "S" && len(f) == 4:
		s.offsets[f[1]+"/"+f[2]] = uint64(atoi(f[3]))
		return "OK"
	case f[0] == "G" && len(f) == 3:
		if v, ok := s.offsets[f[1]+"/"+f[2]]; ok {
			return "OK " + strconv.FormatUint(v, 10)
		}
		return "NONE"
	case f[0] == "GS" && len(f) == 2:
		if ts, ok := s.streams[f[1]]; ok {
			return "OK " + strings.Join(slices.Sorted(maps.Keys(ts)), ",")
		}
		return "NONE"
	case f[0] == "LS" && len(f) == 1:
		return "OK " + strings.Join(slices.Sorted(maps.Keys(s.streams)), ",")
	case len(f) >= 2:
		return s.metaLocked(f)
	}
	return "ERR " + line
}

// metaLocked executes a stream or topic write. s.mu must be held.
func (s *store) metaLocked(f []string) string {
	ts, ok := s.streams[f[1]]
	switch {
	case f[0] == "CS" && len(f) == 2:
		if ok {
			return "EXISTS"
		}
		s.streams[f[1]] = map[string]bool{}
	case f[0] == "DS" && len(f) == 2:
		if !ok {
			return "NOTFOUND"
		}
		delete(s.streams, f[1])
	case f[0] == "CT" && len(f) == 3:
		if !ok {
			return "NOTFOUND"
		}
		if ts[f[2]] {
			return "EXISTS"
		}
		ts[f[2]] = true
	case f[0] == "DT" && len(f) == 3:
		if !ok || !ts[f[2]] {
			return "NOTFOUND"
		}
		delete(ts, f[2])
	default:
		return "ERR " + strings.Join(f, " ")
	}
	return "OK"
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return max(n, 0)
}

// node is one frontend of the self-test service: a loopback listener whose
// connections are served from the shared store, one request line at a
// time.
type node struct {
	st *store
	ln net.Listener
	wg sync.WaitGroup // the accept loop and every connection goroutine

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
}

func startNode(st *store) (*node, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("chaos: node listen: %w", err)
	}
	n := &node{st: st, ln: ln, conns: map[net.Conn]struct{}{}}
	n.wg.Add(1)
	go n.acceptLoop()
	return n, nil
}

func (n *node) addr() string { return n.ln.Addr().String() }

func (n *node) acceptLoop() {
	defer n.wg.Done()
	for {
		c, err := n.ln.Accept()
		if err != nil {
			return
		}
		n.mu.Lock()
		if n.closed {
			n.mu.Unlock()
			c.Close()
			return
		}
		n.conns[c] = struct{}{}
		n.wg.Add(1)
		n.mu.Unlock()
		go n.serve(c)
	}
}

func (n *node) serve(c net.Conn) {
	defer n.wg.Done()
	defer func() {
		n.mu.Lock()
		delete(n.conns, c)
		n.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := c.Write([]byte(n.st.handle(strings.TrimSuffix(line, "\n")) + "\n")); err != nil {
			return
		}
	}
}

// close stops accepting, closes every connection and waits for the node's
// goroutines.
func (n *node) close() error {
	n.mu.Lock()
	n.closed = true
	for c := range n.conns {
		c.Close()
	}
	n.mu.Unlock()
	err := n.ln.Close()
	n.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
