package chaos

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// probe reads one node's own view of the metadata over the wire protocol.
// It does not use the client package on purpose: the SDK follows the
// leader after every login, and the final checks must read every node,
// backups included. A probe is used by one goroutine.
type probe struct {
	c  net.Conn
	r  *wire.Reader
	id wire.ClientID
	n  uint64 // request counter
}

// nodeView is what one node reports.
type nodeView struct {
	Leader  int      // the replica id it names as leader, or -1
	Streams []string // stream names, sorted
	Users   []string // user names, sorted
	Topics  map[string][]string
}

// dialProbe connects to addr and logs in as the root user. A login on a
// backup is forwarded to the primary, so it fails while there is none.
func dialProbe(ctx context.Context, addr string) (*probe, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	p := &probe{c: c, r: wire.NewReader(c, 0),
		id: wire.ClientID{Lo: binary.LittleEndian.Uint64(id[:8]), Hi: binary.LittleEndian.Uint64(id[8:]) | 1}}
	body := (&wire.LoginPassword{Version: wire.ClientVersionInfo{Protocol: wire.CurrentProtocolVersion,
		SDKName: []byte("shoal-chaos"), SDKVersion: []byte("1")}, Username: []byte("iggy"), Password: []byte("iggy")}).Append(nil)
	h, b, err := p.exchange(wire.RequestHeader{Operation: wire.OpRegister}, body)
	if err == nil {
		var st wire.Status
		if b, st, err = wire.SplitResult(b); err == nil && (h.Status != wire.StatusOK || st != wire.StatusOK) {
			err = fmt.Errorf("chaos: probe login: status %v/%v", h.Status, st)
		}
	}
	var lr wire.LoginReply
	if err == nil {
		err = lr.Decode(b)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	p.n = uint64(lr.Session) // any non-zero epoch
	return p, nil
}

func (p *probe) close() { p.c.Close() }

// exchange sends one request and reads its reply.
func (p *probe) exchange(h wire.RequestHeader, body []byte) (wire.ReplyHeader, []byte, error) {
	h.Client = p.id
	b := make([]byte, wire.HeaderSize+len(body))
	h.Size = uint32(len(b))
	h.Put(b)
	copy(b[wire.HeaderSize:], body)
	var rh wire.ReplyHeader
	if _, err := p.c.Write(b); err != nil {
		return rh, nil, err
	}
	f, err := p.r.ReadFrame()
	if err != nil {
		return rh, nil, err
	}
	defer f.Release()
	if err := rh.Decode(f.Bytes()); err != nil {
		return rh, nil, fmt.Errorf("chaos: probe: not a reply (%v): %w", f.Command(), err)
	}
	return rh, slices.Clone(f.Body()), nil
}

// read sends a NonReplicated read and returns its body.
func (p *probe) read(code wire.Code, body []byte) ([]byte, error) {
	h, b, err := p.exchange(wire.RequestHeader{Operation: wire.OpNonReplicated, Code: code, Session: p.n, Request: 1}, body)
	if err == nil && h.Status != wire.StatusOK {
		err = fmt.Errorf("chaos: probe read %d: status %v", code, h.Status)
	}
	return b, err
}

// leader is the replica id the node names as its healthy leader, or -1.
func (p *probe) leader() (int, error) {
	b, err := p.read(wire.CodeClusterMetadata, nil)
	if err != nil {
		return -1, err
	}
	var md wire.ClusterMetadata
	if err := md.Decode(b); err != nil {
		return -1, err
	}
	for i, n := range md.Nodes {
		if n.Role == wire.RoleLeader && n.Status == wire.NodeHealthy {
			return i, nil
		}
	}
	return -1, nil
}

// leaderOf asks node addr which node leads.
func leaderOf(ctx context.Context, addr string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := dialProbe(ctx, addr)
	if err != nil {
		return -1, err
	}
	defer p.close()
	return p.leader()
}

// errNoLeader: no node named a leader in time.
var errNoLeader = errors.New("chaos: no leader")

// waitLeader polls the running, unpaused nodes until a majority of those
// that answer agree on a leader that is itself running, and returns it.
func (c *cluster) waitLeader(ctx context.Context, within time.Duration) (int, error) {
	return c.waitLeaderOtherThan(ctx, -1, within)
}

// waitLeaderOtherThan is waitLeader for a leader other than node not.
func (c *cluster) waitLeaderOtherThan(ctx context.Context, not int, within time.Duration) (int, error) {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		votes := map[int]int{}
		for i, p := range c.procs {
			if !p.running() || p.isPaused() {
				continue
			}
			if l, err := leaderOf(ctx, c.tcp[i], time.Second); err == nil && l >= 0 {
				votes[l]++
			}
		}
		for l, n := range votes {
			if 2*n > len(c.procs)-1 && l != not && c.procs[l].running() && !c.procs[l].isPaused() {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("%w after %v (votes %v)", errNoLeader, within, votes)
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-tick.C:
		}
	}
}
