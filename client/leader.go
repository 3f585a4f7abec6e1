package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// This file is the client's side of a cluster, as Iggy's Go SDK does it
// (wire.md §2.3 "Login is followed by a leader check", §2.6 item 5, §2.7;
// Iggy foreign/go/internal/util/leader_aware.go and client/tcp/tcp_core.go
// at cc269ef70): there is no redirect frame, so the client reads the
// cluster metadata after every login and reconnects to the node that leads.

// Addr returns the address of the server the client is connected to (or
// was last connected to): one of Dial's addresses or, after a redirect, the
// leader's.
func (c *Client) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.current
}

// candidatesLocked lists the addresses to dial, each once: Dial's addresses
// and those the cluster reported, starting at the current one, or after it
// when its connection broke, so a dead node is tried last. c.mu must be
// held.
func (c *Client) candidatesLocked() []string {
	all := slices.Clone(c.addrs)
	for _, a := range c.known {
		if !slices.ContainsFunc(all, func(b string) bool { return sameAddress(a, b) }) {
			all = append(all, a)
		}
	}
	if c.current == "" {
		return all
	}
	i := slices.IndexFunc(all, func(a string) bool { return sameAddress(a, c.current) })
	if i < 0 {
		all, i = append([]string{c.current}, all...), 0
	}
	if c.failed {
		i = (i + 1) % len(all)
	}
	return slices.Concat(all[i:], all[:i])
}

// dialLocked connects to the first candidate address that answers, under a
// fresh identity, without logging in. c.mu must be held.
func (c *Client) dialLocked(ctx context.Context) error {
	var errs []error
	for _, addr := range c.candidatesLocked() {
		tc, err := c.dial(ctx, addr, c.opts.tlsConfig, c.opts.maxFrameSize)
		if err != nil {
			c.log.Warn("client: cannot connect", "addr", addr, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		cn := &connection{c: tc, frames: make(chan *wire.Frame, 1), quit: make(chan struct{}), done: make(chan struct{})}
		go cn.readLoop()
		c.conn, c.current, c.failed = cn, addr, false
		c.newIdentityLocked()
		c.log.Debug("client: connected", "addr", addr)
		return nil
	}
	if len(errs) == 1 && len(c.addrs) == 1 && len(c.known) == 0 {
		return errors.Unwrap(errs[0]) // one address: its error as it was
	}
	return fmt.Errorf("client: no server answered: %w", errors.Join(errs...))
}

// signInLocked logs in with a Register body and then follows the leader:
// while the cluster names another node as its healthy leader, it
// reconnects there and logs in again (at most maxRedirects times). It
// returns the session it ends with. c.mu must be held.
func (c *Client) signInLocked(ctx context.Context, body []byte) (*Session, error) {
	s, err := c.registerLocked(ctx, body)
	for redirects := 0; err == nil; redirects++ {
		var leader string
		if leader, err = c.leaderLocked(ctx); err != nil || leader == "" {
			break
		}
		if redirects == c.opts.maxRedirects {
			c.log.Warn("client: too many leader redirects; staying", "addr", c.current, "leader", leader)
			break
		}
		c.log.Info("client: not the leader; redirecting", "from", c.current, "to", leader)
		c.dropLocked()
		c.current, c.failed = leader, false
		if err = c.dialLocked(ctx); err == nil {
			s, err = c.registerLocked(ctx, body)
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// failoverLocked runs after a request was refused with 58 for
// failoverAfter: it checks which node leads and, if it is another one (or
// the connection is gone), reconnects, logging in again when credentials
// are known. moved reports a new connection, on which the request must be
// stamped again. c.mu must be held.
func (c *Client) failoverLocked(ctx context.Context) (moved bool, err error) {
	leader := ""
	if c.conn != nil {
		if leader, err = c.leaderLocked(ctx); err != nil {
			return false, err
		}
	}
	switch {
	case leader != "":
		c.log.Info("client: request not accepted; the leader is elsewhere", "from", c.current, "to", leader)
		c.dropLocked()
		c.current, c.failed = leader, false
		return true, c.connectLocked(ctx)
	case c.conn == nil:
		return true, c.ensureLocked(ctx)
	}
	return false, nil // this node still leads (or nobody does): replay here
}

// leaderLocked reads the cluster metadata and returns the address of the
// healthy leader when it is not the current node, or "" to stay: a single
// node, the current node leads, the read failed (the next request shows
// why), or no healthy leader appeared within leaderWait. Only ctx ending or
// Close is an error. It keeps the healthy nodes' addresses as reconnect
// candidates. c.mu must be held.
func (c *Client) leaderLocked(ctx context.Context) (string, error) {
	deadline := time.Now().Add(c.opts.leaderWait)
	for {
		md, err := c.clusterMetadataLocked(ctx)
		switch {
		case ctx.Err() != nil:
			return "", ctx.Err()
		case errors.Is(err, ErrClosed):
			return "", err
		case err != nil:
			c.log.Warn("client: cannot read the cluster metadata; staying", "addr", c.current, "err", err)
			return "", nil
		}
		var healthy []string
		var leader *ClusterNode
		for i, n := range md.Nodes {
			if n.Status != NodeHealthy {
				continue
			}
			if a := n.Addr(c.opts.transport); a != "" {
				healthy = append(healthy, a)
			}
			if n.Role == RoleLeader && leader == nil {
				leader = &md.Nodes[i]
			}
		}
		c.known = healthy
		switch {
		case len(md.Nodes) <= 1:
			return "", nil
		case leader != nil:
			if a := leader.Addr(c.opts.transport); a != "" && !sameAddress(a, c.current) {
				return a, nil
			}
			return "", nil
		case !time.Now().Before(deadline):
			c.log.Warn("client: the cluster names no healthy leader; staying", "addr", c.current, "waited", c.opts.leaderWait)
			return "", nil
		}
		if err := c.waitLocked(ctx, c.opts.leaderPoll); err != nil {
			return "", err
		}
	}
}

// clusterMetadataLocked sends one GetClusterMetadata (NonReplicated code
// 12) without failing over: it is what a failover runs. c.mu must be held
// and c.conn live.
func (c *Client) clusterMetadataLocked(ctx context.Context) (*ClusterMetadata, error) {
	h, _ := c.stampLocked(wire.OpNonReplicated, CodeClusterMetadata) // a read needs no session
	deadline := time.Now().Add(c.opts.transient)
	_, b, err := c.exchangeLocked(ctx, &h, nil, deadline, deadline)
	if err != nil {
		return nil, err
	}
	return decodeClusterMetadata(b)
}

// sameAddress reports whether two addresses name one endpoint: equal ports
// and equal IPs (or host names), with localhost taken as 127.0.0.1 and a
// ws:// or wss:// URL reduced to its host:port, as Iggy's SDK compares them.
func sameAddress(a, b string) bool {
	ha, pa := splitAddress(a)
	hb, pb := splitAddress(b)
	if pa != pb {
		return false
	}
	if ia, ib := net.ParseIP(ha), net.ParseIP(hb); ia != nil && ib != nil {
		return ia.Equal(ib)
	}
	return ha == hb
}

func splitAddress(addr string) (host, port string) {
	if u, err := url.Parse(addr); err == nil && strings.Contains(addr, "://") {
		addr = u.Host
	}
	host, port, err := net.SplitHostPort(strings.ToLower(addr))
	if err != nil {
		return strings.ToLower(addr), ""
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return host, port
}
