// Package httpapi serves Apache Iggy's HTTP REST API (Iggy's legacy
// server, core/server/src/http): the same paths, JSON field names, status
// codes and error bodies, so Iggy's Web UI, HTTP SDKs and curl scripts
// work against Shoal. New(Config) returns an API, an http.Handler the
// server mounts on its HTTP listener; it also serves /metrics (the
// server's handler), /health and its OpenAPI 3 document at
// /openapi.json, which a test holds equal to the routes served.
//
// Every operation is the binary protocol's: metadata writes call the
// typed methods of internal/service (validation, permissions, journaling
// and the reply state are done once, there), after the request has been
// encoded to its binary body and decoded by the wire package's decoder,
// so both front ends accept and refuse the same things; reads render the
// committed metadata.State's views; the data plane (send, poll, consumer
// offsets, segment deletion, flush) goes through Node, which the server
// implements by running exactly its partition code on each partition's
// owner shard (S5). A refusal carries the IggyError code the binary
// protocol answers with (errors.go).
//
// Authentication is stateless, as in Iggy: POST /users/login (password,
// argon2 on the service's bounded pool, counted by the login limiter) and
// POST /personal-access-tokens/login issue an HMAC-signed JWT
// (github.com/golang-jwt/jwt/v5; claims and expiry from [http.jwt]); every
// other route but the public ones needs it as a Bearer token. Iggy issues
// no separate refresh token: POST /users/refresh-token exchanges a valid
// access token, once, for a new one. Logout and refresh revoke a token
// until it expires, in a bounded in-memory set (revocations do not
// survive a restart; neither do tokens signed with the random secret used
// when none is configured). HTTP requests have no VSR session, so their
// client id is zero and consumer groups (join, leave, group polls) stay a
// binary-protocol feature, as the HTTP API of Iggy offers none either.
//
// Clusters: a service refusal that Config.NotPrimary recognises is
// answered 307 to the primary's HTTP address (Config.Primary) or 503.
//
// Goroutines: none of its own; handlers run on net/http's and wait for
// the service's and the partition owners' answers on channels. Imports:
// internal/service, internal/metadata, internal/auth, internal/wire and
// github.com/golang-jwt/jwt/v5.
package httpapi
