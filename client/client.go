package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shoal-io/shoal/internal/transport"
	"github.com/shoal-io/shoal/internal/wire"
)

// Client is a connection to one server. See the package doc for its
// concurrency and reconnection rules.
type Client struct {
	addrs []string // the addresses given to Dial, in order
	opts  options
	dial  dialer
	log   *slog.Logger

	mu sync.Mutex // serialises calls; guards the fields below
	// +checklocks:mu
	conn *connection // nil while disconnected
	// +checklocks:mu
	closed bool
	// +checklocks:mu
	id wire.ClientID // the VSR client id of the current identity
	// +checklocks:mu
	idUsed bool // id has been sent in a Register and must not be reused for another
	// +checklocks:mu
	session wire.Epoch // 0 while not logged in
	// +checklocks:mu
	userID uint32
	// +checklocks:mu
	counter uint64 // request numbering, wire.md §2.4; starts at 1 per identity
	// +checklocks:mu
	username, password string // credentials to log in again after a reconnect
	token              string // or a personal access token, when set
	// +checklocks:mu
	relogin bool
	// +checklocks:mu
	current string // the address of the live (or last) connection
	// +checklocks:mu
	failed bool // the last connection broke: the next connect starts after current
	// +checklocks:mu
	known []string // healthy nodes' addresses, from the last cluster metadata

	closing       chan struct{} // closed by Close before it takes mu, to end a waiting call
	closeOnce     sync.Once
	stopHeartbeat chan struct{}
	heartbeatDone sync.WaitGroup
}

// connection is one transport connection and its reader goroutine.
type connection struct {
	c      transport.Conn
	frames chan *wire.Frame // frames read, handed to the waiting call
	quit   chan struct{}    // closed by close: the reader stops delivering
	done   chan struct{}    // closed when the reader has exited
	err    error            // the reader's terminal error; read after done
	once   sync.Once
}

func (cn *connection) readLoop() {
	defer close(cn.done)
	for {
		f, err := cn.c.ReadFrame()
		if err != nil {
			cn.err = err
			return
		}
		select {
		case cn.frames <- f:
		case <-cn.quit:
			f.Release()
			return
		}
	}
}

func (cn *connection) close() {
	cn.once.Do(func() {
		close(cn.quit)
		cn.c.Close()
	})
	<-cn.done
	// Drain a frame the reader handed over but nobody took.
	select {
	case f := <-cn.frames:
		f.Release()
	default:
	}
}

// Dial connects over the configured transport to addr, or to the first of
// several comma-separated addresses ("h1:8090,h2:8090,h3:8090") that
// answers, and, with WithCredentials, logs in and follows the leader (see
// the package doc). It starts the heartbeat when one is configured.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	d, err := dialerFor(o.transport)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for a := range strings.SplitSeq(addr, ",") {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("client: no address")
	}
	c := &Client{addrs: addrs, opts: o, dial: d, log: o.logger, closing: make(chan struct{}), stopHeartbeat: make(chan struct{})}
	c.mu.Lock()
	if o.token != "" {
		c.token, c.relogin = o.token, true
	} else if o.username != "" {
		c.username, c.password, c.relogin = o.username, o.password, true
	}
	err = c.connectLocked(ctx)
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if o.heartbeat > 0 {
		c.heartbeatDone.Add(1)
		go c.heartbeat()
	}
	return c, nil
}

// Close logs nothing out (like Iggy's SDK, a close is a disconnect; the
// server treats EOF as one), closes the connection and stops the heartbeat.
func (c *Client) Close() error {
	first := false
	c.closeOnce.Do(func() { close(c.closing); first = true })
	if !first {
		return nil
	}
	c.mu.Lock()
	c.closed = true
	c.dropLocked()
	c.mu.Unlock()
	close(c.stopHeartbeat)
	c.heartbeatDone.Wait()
	return nil
}

func (c *Client) heartbeat() {
	defer c.heartbeatDone.Done()
	t := time.NewTicker(c.opts.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-c.stopHeartbeat:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.heartbeat)
			_ = c.Ping(ctx) // a failure shows on the next call, which reconnects
			cancel()
		}
	}
}

// connectLocked dials a fresh connection under a fresh identity and logs in
// again (and follows the leader) if credentials are known. c.mu must be
// held.
func (c *Client) connectLocked(ctx context.Context) error {
	if err := c.dialLocked(ctx); err != nil {
		return err
	}
	if c.relogin {
		if _, err := c.reloginLocked(ctx); err != nil {
			c.dropLocked()
			return err
		}
	}
	return nil
}

// newIdentityLocked picks a fresh random client id and restarts request
// numbering, as a new connection or a re-login does. c.mu must be held.
func (c *Client) newIdentityLocked() {
	var b [16]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(fmt.Sprintf("client: crypto/rand: %v", err))
		}
		c.id = wire.ClientID{Lo: binary.LittleEndian.Uint64(b[:8]), Hi: binary.LittleEndian.Uint64(b[8:])}
		if !c.id.IsZero() {
			break
		}
	}
	c.idUsed = false
	c.session = 0
	c.counter = 1
}

// dropLocked closes the connection and forgets the session. c.mu must be held.
func (c *Client) dropLocked() {
	if c.conn != nil {
		c.conn.close()
		c.conn = nil
	}
	c.session = 0
}

// ensureLocked returns a live connection, reconnecting when allowed. c.mu
// must be held.
func (c *Client) ensureLocked(ctx context.Context) error {
	switch {
	case c.closed:
		return ErrClosed
	case c.conn != nil:
		return nil
	case !c.opts.reconnect:
		return ErrDisconnected
	}
	return c.connectLocked(ctx)
}

// exchangeLocked sends one request frame and waits for its reply. It
// replays a transiently refused request on this connection: 57
// TransientNotCommitted until deadline (except a SendMessages, which may
// have been stored and is not deduplicated: its 57 is returned), 58
// TransientNotAccepted until notAccepted (at most deadline), then
// returns the status error. Evictions
// end the session and close the connection. c.mu must be held and c.conn
// must be live.
func (c *Client) exchangeLocked(ctx context.Context, h *wire.RequestHeader, body []byte, notAccepted, deadline time.Time) (*wire.ReplyHeader, []byte, error) {
	// A pooled buffer: transports do not keep a frame after SendBatch.
	fr := wire.NewFrame(wire.HeaderSize + len(body))
	defer fr.Release()
	frame := fr.Bytes()
	h.Client = c.id
	h.Size = uint32(len(frame))
	h.Put(frame)
	copy(frame[wire.HeaderSize:], body)
	for {
		rh, rb, err := c.roundTripLocked(ctx, frame, h.Request)
		if err != nil {
			return nil, nil, err
		}
		st := rh.Status
		if st == wire.StatusOK && rh.Operation.IsResultFramed() || rh.Operation == wire.OpRegister && len(rb) > 0 {
			payload, rs, err := wire.SplitResult(rb)
			if err != nil {
				c.dropLocked()
				return nil, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			rb, st = payload, rs
		}
		if st == wire.StatusOK {
			return rh, rb, nil
		}
		if st == wire.StatusTransientNotCommitted && h.Operation == wire.OpSendMessages {
			// The batch may be stored (messages are not deduplicated):
			// sending it again could store it twice; the caller decides.
			return rh, nil, st.Err()
		}
		until := deadline
		if st == wire.StatusTransientNotAccepted {
			until = notAccepted
		}
		if (st != wire.StatusTransientNotCommitted && st != wire.StatusTransientNotAccepted) || !time.Now().Before(until) {
			return rh, nil, st.Err()
		}
		if err := c.waitLocked(ctx, 50*time.Millisecond); err != nil {
			return nil, nil, err
		}
	}
}

// waitLocked waits d, or less if ctx ends or Close is called. c.mu stays
// held: calls queue behind a replaying one, as on a busy connection.
func (c *Client) waitLocked(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closing:
		return ErrClosed
	case <-t.C:
		return nil
	}
}

// roundTripLocked writes frame and reads the reply to request id req.
func (c *Client) roundTripLocked(ctx context.Context, frame []byte, req uint64) (*wire.ReplyHeader, []byte, error) {
	cn := c.conn
	if err := cn.c.SendBatch([][]byte{frame}); err != nil {
		c.dropLocked()
		c.failed = true
		return nil, nil, fmt.Errorf("%w: %w", ErrDisconnected, err)
	}
	select {
	case f := <-cn.frames:
		defer f.Release()
		switch f.Command() {
		case wire.CommandReply:
			var rh wire.ReplyHeader
			if err := rh.Decode(f.Bytes()); err != nil {
				c.dropLocked()
				return nil, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			if rh.Request != req {
				c.dropLocked()
				return nil, nil, fmt.Errorf("%w: reply to request %d, sent %d", ErrProtocol, rh.Request, req)
			}
			return &rh, append([]byte(nil), f.Body()...), nil
		case wire.CommandEviction:
			var eh wire.EvictionHeader
			err := eh.Decode(f.Bytes())
			c.dropLocked()
			c.idUsed = true // never reuse an evicted identity
			if err != nil {
				return nil, nil, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			return nil, nil, &EvictionError{Reason: eh.Reason, MinVersion: eh.ServerProtocolVersionMin, MaxVersion: eh.ServerProtocolVersion}
		default:
			cmd := f.Command()
			c.dropLocked()
			return nil, nil, fmt.Errorf("%w: unexpected %v frame", ErrProtocol, cmd)
		}
	case <-cn.done:
		err := cn.err
		c.dropLocked()
		c.failed = true
		return nil, nil, fmt.Errorf("%w: %w", ErrDisconnected, err)
	case <-ctx.Done():
		// The reply may still come; it could no longer be matched.
		c.dropLocked()
		return nil, nil, ctx.Err()
	case <-c.closing:
		c.dropLocked()
		return nil, nil, ErrClosed
	}
}

// Request sends a request with operation op (and, for NonReplicated, the
// legacy command code) and returns the reply payload, with any result
// section stripped. Request numbering follows Iggy's SDK: NonReplicated and
// partition operations reuse the current request id, metadata operations
// and Logout consume one. Replicated operations need a login.
func (c *Client) Request(ctx context.Context, op Operation, code uint32, body []byte) ([]byte, error) {
	if op == wire.OpRegister {
		return nil, errors.New("client: log in with Login")
	}
	if !op.Valid() {
		return nil, fmt.Errorf("client: operation %v", op)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLocked(ctx); err != nil {
		return nil, err
	}
	_, rb, err := c.requestLocked(ctx, op, code, body)
	return rb, err
}

// requestLocked stamps and sends a request and returns its reply. A request
// refused with 58 TransientNotAccepted for failoverAfter is never admitted,
// so it is safe to send again elsewhere: the client checks which node leads
// and, when it is another one, reconnects and logs in there and sends the
// request again under the new session; all within the transient window
// (wire.md §2.6 item 5).
func (c *Client) requestLocked(ctx context.Context, op wire.Operation, code uint32, body []byte) (*wire.ReplyHeader, []byte, error) {
	deadline := time.Now().Add(c.opts.transient)
	h, err := c.stampLocked(op, code)
	for err == nil {
		notAccepted := time.Now().Add(c.opts.failoverAfter)
		if notAccepted.After(deadline) {
			notAccepted = deadline
		}
		var rh *wire.ReplyHeader
		var rb []byte
		rh, rb, err = c.exchangeLocked(ctx, &h, body, notAccepted, deadline)
		if !errors.Is(err, &StatusError{Status: wire.StatusTransientNotAccepted}) || !time.Now().Before(deadline) {
			if err == nil && op == wire.OpSendMessages && len(rb) == 0 {
				return nil, nil, fmt.Errorf("%w: empty SendMessages reply", ErrProtocol)
			}
			return rh, rb, err
		}
		var moved bool
		if moved, err = c.failoverLocked(ctx); moved && err == nil {
			h, err = c.stampLocked(op, code) // a new connection: a new identity and session
		}
	}
	return nil, nil, err
}

// stampLocked builds the header of a request: its session and request id,
// consuming an id for metadata operations and Logout (wire.md §2.4).
func (c *Client) stampLocked(op wire.Operation, code uint32) (wire.RequestHeader, error) {
	h := wire.RequestHeader{Operation: op, Session: uint64(c.session), Request: c.counter}
	switch {
	case op == wire.OpNonReplicated:
		h.Code = wire.Code(code)
	case c.session == 0:
		return h, ErrNotLoggedIn
	case op.IsPartition():
		// Partition operations reuse the current id (at-least-once).
	default:
		c.counter++
	}
	return h, nil
}

// Session describes a login.
type Session struct {
	UserID uint32
	// Session is the number the server bound the session to (the commit
	// op of the login); a later login gets a greater one.
	Session               uint64
	ServerProtocolVersion ProtocolVersion
	ServerVersion         string
}

// Login logs in with a username and password (Register). While logged in
// it logs out first and logs in under a fresh client id, as Iggy's SDK
// does. The credentials are kept to log in again after a reconnect.
func (c *Client) Login(ctx context.Context, username, password string) (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLocked(ctx); err != nil {
		return nil, err
	}
	s, err := c.loginLocked(ctx, username, password)
	if err != nil {
		return nil, err
	}
	c.username, c.password, c.token, c.relogin = username, password, "", true
	return s, nil
}

// LoginWithToken logs in with a personal access token (Register with the
// token body), as Login does with a password; the token is kept to log in
// again after a reconnect.
func (c *Client) LoginWithToken(ctx context.Context, token string) (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLocked(ctx); err != nil {
		return nil, err
	}
	s, err := c.loginTokenLocked(ctx, token)
	if err != nil {
		return nil, err
	}
	c.username, c.password, c.token, c.relogin = "", "", token, true
	return s, nil
}

// reloginLocked logs in again with the kept credentials.
func (c *Client) reloginLocked(ctx context.Context) (*Session, error) {
	if c.token != "" {
		return c.loginTokenLocked(ctx, c.token)
	}
	return c.loginLocked(ctx, c.username, c.password)
}

func (c *Client) loginLocked(ctx context.Context, username, password string) (*Session, error) {
	if len(username) == 0 || len(username) > 255 || len(password) > 255 {
		return nil, errors.New("client: username must be 1..255 bytes and password at most 255")
	}
	return c.signInLocked(ctx, (&wire.LoginPassword{
		Version:  c.versionInfo(),
		Username: []byte(username),
		Password: []byte(password),
	}).Append(nil))
}

func (c *Client) loginTokenLocked(ctx context.Context, token string) (*Session, error) {
	if len(token) == 0 || len(token) > 255 {
		return nil, errors.New("client: a token is 1..255 bytes")
	}
	return c.signInLocked(ctx, (&wire.LoginToken{Version: c.versionInfo(), Token: []byte(token)}).Append(nil))
}

func (c *Client) versionInfo() wire.ClientVersionInfo {
	return wire.ClientVersionInfo{Protocol: c.opts.protocol, SDKName: []byte(c.opts.sdkName), SDKVersion: []byte(c.opts.sdkVersion)}
}

// registerLocked sends a Register with body under a fresh client id (after
// a Logout if a session is open) and reads the login reply.
func (c *Client) registerLocked(ctx context.Context, body []byte) (*Session, error) {
	if c.session != 0 {
		if _, _, err := c.requestLocked(ctx, wire.OpLogout, 0, nil); err != nil {
			return nil, err
		}
		c.session = 0
	}
	if c.conn == nil {
		return nil, ErrDisconnected
	}
	if c.idUsed {
		c.newIdentityLocked()
	}
	c.idUsed = true
	// A login is replayed on this node for the whole window: the server
	// forwards it to the primary itself (wire.md §2.7).
	deadline := time.Now().Add(c.opts.transient)
	_, rb, err := c.exchangeLocked(ctx, &wire.RequestHeader{Operation: wire.OpRegister}, body, deadline, deadline)
	if err != nil {
		return nil, err
	}
	var lr wire.LoginReply
	if err := lr.Decode(rb); err != nil || lr.Session == 0 {
		c.dropLocked()
		return nil, fmt.Errorf("%w: login reply: %v", ErrProtocol, err)
	}
	c.session, c.userID = lr.Session, lr.UserID
	return &Session{UserID: lr.UserID, Session: uint64(lr.Session), ServerProtocolVersion: lr.ServerProtocolVersion,
		ServerVersion: string(lr.ServerVersion)}, nil
}

// Logout ends the session (a replicated Logout); the connection stays open
// and the Client no longer logs in again by itself.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ensureLocked(ctx); err != nil {
		return err
	}
	c.relogin = false
	if c.session == 0 {
		return nil
	}
	if _, _, err := c.requestLocked(ctx, wire.OpLogout, 0, nil); err != nil {
		return err
	}
	c.session = 0
	return nil
}

// Ping sends a Ping (NonReplicated code 1); it works before login.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Request(ctx, wire.OpNonReplicated, CodePing, nil)
	return err
}

// LoggedIn reports whether the client holds a session.
func (c *Client) LoggedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session != 0
}

// ClientID is the VSR client id a Client sends in every request header. It
// is random and non-zero, and changes on every reconnect and login (wire.md
// §2.4). IDs are comparable.
type ClientID struct{ id wire.ClientID }

// String formats the id as the server logs it: 0x and 32 hex digits.
func (id ClientID) String() string { return id.id.String() }

// IsZero reports whether id is the zero ClientID, which no Client uses.
func (id ClientID) IsZero() bool { return id.id.IsZero() }

// ID returns the client id of the current identity.
func (c *Client) ID() ClientID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ClientID{c.id}
}
