package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/shoal-io/shoal/internal/auth"
	"github.com/shoal-io/shoal/internal/metadata"
	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// Node is what the API needs of the server besides the service: the data
// plane, which runs on each partition's owner shard (only the server
// reaches them), and the node's own reads. Every method is safe for
// concurrent use; ctx bounds the wait for an owner's answer.
type Node interface {
	// SendMessages admits, routes and appends a binary SendMessages body
	// (wire.md §3.3) exactly as the binary protocol does.
	SendMessages(ctx context.Context, c service.Caller, body []byte) wire.Status
	// PollMessages returns a binary PollMessages reply body (wire.md §3.4).
	PollMessages(ctx context.Context, c service.Caller, req *wire.PollMessages) ([]byte, wire.Status)
	// ConsumerOffset gets (the binary ConsumerOffsetInfo, empty when none
	// is stored), stores or deletes a consumer offset.
	ConsumerOffset(ctx context.Context, c service.Caller, kind wire.OffsetKind, req *wire.ConsumerOffsetRequest) ([]byte, wire.Status)
	// DeleteSegments removes a partition's oldest sealed segments.
	DeleteSegments(ctx context.Context, c service.Caller, req *wire.DeleteSegments) wire.Status
	// Flush syncs a partition's written messages to disk when fsync.
	Flush(ctx context.Context, c service.Caller, stream, topic wire.Identifier, partition uint32, fsync bool) wire.Status
	// PartitionStats are a partition's counters (sizes, offsets).
	PartitionStats(stream, topic, partition uint32) metadata.PartitionStats
	Stats() wire.Stats
	Clients() []wire.ClientInfo
	Client(id uint32) (wire.ClientInfo, bool)
	ClusterMetadata() wire.ClusterMetadata
	// Snapshot builds the archive a binary GetSnapshot body asks for.
	Snapshot(body []byte) ([]byte, wire.Status)
}

// CORS configures cross-origin requests ([http.cors]).
type CORS struct {
	Enabled                                                        bool
	AllowedMethods, AllowedOrigins, AllowedHeaders, ExposedHeaders []string
	AllowCredentials, AllowPrivateNetwork                          bool
}

// DefaultMaxRequestSize is Iggy's http.max_request_size: 2 MB.
const DefaultMaxRequestSize = 2_000_000

// Config configures an API.
type Config struct {
	Service *service.Service // required
	Node    Node             // required
	// Metrics serves GET /metrics; nil leaves the route out.
	Metrics http.Handler
	// Version is reported by /health.
	Version string
	// MaxRequestSize bounds a request body; 0 means DefaultMaxRequestSize.
	MaxRequestSize int64
	CORS           CORS
	JWT            JWT
	// Limiter counts failed logins per address and username and backs
	// them off, as for the binary protocol; nil: no limit.
	Limiter *auth.Limiter
	// NotPrimary recognises the service's "not the primary" refusal of a
	// write (clusters); Primary returns the primary's HTTP base URL
	// ("http://host:port") when it is known. A recognised refusal is
	// answered 307 to the primary, or 503 when Primary is nil or does not
	// know it. nil NotPrimary: standalone, nothing is redirected.
	NotPrimary func(wire.Status) bool
	Primary    func() (string, bool)
	// Now is the clock tokens are issued and checked with; nil: time.Now.
	Now    func() time.Time
	Logger *slog.Logger // nil discards
}

// API serves Iggy's REST API. It is an http.Handler; it starts no
// goroutines and is safe for concurrent use.
type API struct {
	cfg    Config
	svc    *service.Service
	node   Node
	tokens *tokens
	log    *slog.Logger
	mux    *http.ServeMux
	routes []route
	cors   *cors
}

// route is one method and path of the API.
type route struct {
	method, path string
	public       bool // no access token needed
	handle       func(a *API, w http.ResponseWriter, r *http.Request, id identity)
}

// New builds the API from cfg.
func New(cfg Config) (*API, error) {
	if cfg.Service == nil || cfg.Node == nil {
		return nil, errors.New("httpapi: Service and Node are required")
	}
	if cfg.MaxRequestSize <= 0 {
		cfg.MaxRequestSize = DefaultMaxRequestSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tk, err := newTokens(cfg.JWT, cfg.Now, log)
	if err != nil {
		return nil, err
	}
	a := &API{cfg: cfg, svc: cfg.Service, node: cfg.Node, tokens: tk, log: log, mux: http.NewServeMux()}
	if cfg.CORS.Enabled {
		if a.cors, err = newCORS(cfg.CORS); err != nil {
			return nil, err
		}
	}
	for _, rt := range allRoutes() {
		if rt.path == "/metrics" && cfg.Metrics == nil {
			continue
		}
		a.routes = append(a.routes, rt)
		a.mux.HandleFunc(rt.method+" "+rt.path, a.wrap(rt))
	}
	return a, nil
}

// allRoutes is every route: Iggy's REST API (system.go, users.go,
// streams.go, messages.go) and Shoal's /health and /openapi.json.
func allRoutes() []route {
	var rs []route
	for _, group := range [][]route{systemRoutes, userRoutes, tokenRoutes, streamRoutes, topicRoutes, groupRoutes, messageRoutes} {
		rs = append(rs, group...)
	}
	return rs
}

// Routes lists the served routes as "METHOD /path" patterns, in the
// mux's syntax ({name} for a path parameter).
func (a *API) Routes() []string {
	out := make([]string, len(a.routes))
	for i, rt := range a.routes {
		out[i] = rt.method + " " + rt.path
	}
	return out
}

// ServeHTTP answers CORS preflights, then routes the request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.cors != nil && a.cors.handle(w, r) {
		return
	}
	a.mux.ServeHTTP(w, r)
}

// wrap bounds the body and, for routes that are not public, checks the
// bearer token: a missing, malformed, expired, revoked or foreign token is
// a bare 401, as in Iggy.
func (a *API) wrap(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxRequestSize)
		var id identity
		if !rt.public {
			bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if ok {
				id, ok = a.tokens.verify(bearer)
			}
			if !ok {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
		}
		rt.handle(a, w, r, id)
	}
}

// caller is who a token names, as the service knows callers. HTTP
// requests carry no VSR session, so their client id is zero (consumer
// groups are a binary-protocol feature).
func caller(id identity) service.Caller { return service.Caller{UserID: id.userID} }

// writeJSON answers v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes the request body into v; a malformed body is answered
// InvalidFormat (400), an oversized one 413.
func (a *API) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(r.Body).Decode(v)
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeJSON(w, http.StatusRequestEntityTooLarge, bodyOf(wire.StatusInvalidFormat))
		return false
	}
	if errors.Is(err, io.EOF) {
		a.fail(w, r, wire.StatusInvalidCommand)
		return false
	}
	a.fail(w, r, wire.StatusInvalidFormat)
	return false
}

// noContent answers 204.
func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// ident parses a path segment as Iggy does (Identifier::from_str_value):
// a u32 is a numeric id, anything else of 1..255 bytes a name.
func ident(s string) (wire.Identifier, bool) {
	if len(s) == 0 || len(s) > 255 {
		return wire.Identifier{}, false
	}
	if n, err := parseU32(s); err == nil {
		return wire.NumericID(n), true
	}
	return wire.NamedID(s), true
}

// pathIDs parses the named path parameters as identifiers; a bad one is
// answered InvalidIdentifier.
func (a *API) pathIDs(w http.ResponseWriter, r *http.Request, names ...string) ([]wire.Identifier, bool) {
	out := make([]wire.Identifier, len(names))
	for i, n := range names {
		id, ok := ident(r.PathValue(n))
		if !ok {
			a.fail(w, r, wire.StatusInvalidIdentifier)
			return nil, false
		}
		out[i] = id
	}
	return out, true
}

// write runs a service write and waits for its outcome; a write the
// service did not take is answered 503. It returns the outcome and
// whether the handler should render it (false: already answered).
func (a *API) write(w http.ResponseWriter, r *http.Request, start func(done service.Done) error) (service.Outcome, bool) {
	ch := make(chan service.Outcome, 1) // done may run on the service's goroutine: never block it
	if err := start(func(o service.Outcome) { ch <- o }); err != nil {
		a.refused(w, r, err)
		return service.Outcome{}, false
	}
	o := <-ch
	if o.Status != wire.StatusOK {
		a.fail(w, r, o.Status)
		return o, false
	}
	return o, true
}

// update checks v as the binary protocol would (viaWire), runs the
// service write op with it and answers 204.
func update[T any, P wireRequest[T]](a *API, w http.ResponseWriter, r *http.Request, id identity, v T,
	op func(*service.Service, service.Caller, T, service.Done) error) {
	req, st := viaWire[T, P](v)
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	a.writeNoContent(w, r, func(done service.Done) error { return op(a.svc, caller(id), req, done) })
}

// writeNoContent runs a write and answers 204.
func (a *API) writeNoContent(w http.ResponseWriter, r *http.Request, start func(done service.Done) error) {
	if _, ok := a.write(w, r, start); ok {
		noContent(w)
	}
}

// stats is the partition counters function metadata views take.
func (a *API) stats() metadata.StatsFunc { return a.node.PartitionStats }

// wireRequest is a request body type of the wire package.
type wireRequest[T any] interface {
	*T
	Append([]byte) []byte
	Decode([]byte) wire.Status
}

// viaWire passes v through its binary encoding and the binary protocol's
// decoder, so an HTTP request is checked by exactly the code that checks
// a binary one (identifiers, names, counts) before the service sees it.
// Strings must fit their u8 length prefixes: callers check with tooLong.
func viaWire[T any, P wireRequest[T]](v T) (T, wire.Status) {
	var out T
	st := P(&out).Decode(P(&v).Append(nil))
	return out, st
}

// tooLong reports whether a string is longer than a u8-prefixed wire
// string can be.
func tooLong(ss ...string) bool {
	for _, s := range ss {
		if len(s) > 255 {
			return true
		}
	}
	return false
}

// DefaultJWT is Iggy's [http.jwt] defaults with no secret (a random one
// per start).
func DefaultJWT() JWT {
	return JWT{Algorithm: "HS256", Issuer: "iggy.apache.org", Audience: "iggy.apache.org",
		ValidIssuers: []string{"iggy.apache.org"}, ValidAudiences: []string{"iggy.apache.org"},
		AccessTokenExpiry: time.Hour, ClockSkew: 5 * time.Second}
}

// DefaultCORS is Iggy's [http.cors] defaults: any origin, the four
// methods, content-type and authorization.
func DefaultCORS() CORS {
	return CORS{Enabled: true, AllowedMethods: []string{"GET", "POST", "PUT", "DELETE"}, AllowedOrigins: []string{"*"},
		AllowedHeaders: []string{"content-type", "authorization"}}
}
