package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/shoal-io/shoal/internal/service"
	"github.com/shoal-io/shoal/internal/wire"
)

// Errors are answered as Iggy's HTTP server answers them: a JSON body
// {id, code, reason, field} where id is the IggyError code the binary
// protocol returns for the same refusal, code its snake_case name and
// field the request field at fault, if any; the HTTP status is 404 for
// "not found" codes, 401 for missing or bad credentials, 403 for
// Unauthorized and 400 for the rest. Shoal adds 503 with Retry-After
// for the refusals a client retries (TransientNotAccepted: a busy writer,
// password pool or partition owner, or a login back-off) and 413 for a
// body above http.max_request_size.

// errorBody is Iggy's error response.
type errorBody struct {
	ID     uint32  `json:"id"`
	Code   string  `json:"code"`
	Reason string  `json:"reason"`
	Field  *string `json:"field"`
}

// httpStatus is the HTTP status of a refusal (Iggy's error.rs mapping).
func httpStatus(st wire.Status) int {
	switch st {
	case wire.StatusStreamIdNotFound, wire.StatusStreamNameNotFound, wire.StatusTopicIdNotFound,
		wire.StatusTopicNameNotFound, wire.StatusPartitionNotFound, wire.StatusSegmentNotFound,
		wire.StatusClientNotFound, wire.StatusConsumerGroupIdNotFound, wire.StatusConsumerGroupNameNotFound,
		wire.StatusConsumerGroupMemberNotFound, wire.StatusConsumerOffsetNotFound, wire.StatusResourceNotFound:
		return http.StatusNotFound
	case wire.StatusUnauthenticated, wire.StatusAccessTokenMissing, wire.StatusInvalidAccessToken,
		wire.StatusInvalidPersonalAccessToken:
		return http.StatusUnauthorized
	case wire.StatusUnauthorized:
		return http.StatusForbidden
	case wire.StatusTransientNotAccepted:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// fieldOf names the request field a refusal is about (Iggy's list).
func fieldOf(st wire.Status) string {
	switch st {
	case wire.StatusStreamIdNotFound, wire.StatusInvalidStreamId:
		return "stream_id"
	case wire.StatusTopicIdNotFound, wire.StatusInvalidTopicId:
		return "topic_id"
	case wire.StatusPartitionNotFound:
		return "partition_id"
	case wire.StatusSegmentNotFound:
		return "segment_id"
	case wire.StatusClientNotFound:
		return "client_id"
	case wire.StatusInvalidStreamName, wire.StatusStreamNameAlreadyExists, wire.StatusInvalidTopicName,
		wire.StatusTopicNameAlreadyExists, wire.StatusConsumerGroupNameAlreadyExists,
		wire.StatusPersonalAccessTokenAlreadyExists:
		return "name"
	case wire.StatusInvalidOffset:
		return "offset"
	case wire.StatusInvalidConsumerGroupId:
		return "consumer_group_id"
	case wire.StatusUserAlreadyExists:
		return "username"
	}
	return ""
}

// bodyOf is the error body of a refusal.
func bodyOf(st wire.Status) errorBody {
	name := st.String()
	b := errorBody{ID: uint32(st), Code: snakeCase(name), Reason: sentence(name)}
	if f := fieldOf(st); f != "" {
		b.Field = &f
	}
	return b
}

// snakeCase turns a Go or Rust type name into snake_case ("StreamIdNotFound"
// → "stream_id_not_found"), as Iggy names its error codes.
func snakeCase(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// sentence turns a type name into a reason: "StreamIdNotFound" → "Stream id
// not found".
func sentence(name string) string {
	s := strings.ReplaceAll(snakeCase(name), "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fail answers a refusal with its status and Iggy's error body. A
// TransientNotAccepted carries Retry-After; a refusal the NotPrimary hook
// recognises is redirected to the primary (notPrimary).
func (a *API) fail(w http.ResponseWriter, r *http.Request, st wire.Status) {
	if a.cfg.NotPrimary != nil && a.cfg.NotPrimary(st) {
		a.notPrimary(w, r, st)
		return
	}
	code := httpStatus(st)
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if code >= 500 || st == wire.StatusError {
		a.log.Warn("http request refused", "method", r.Method, "path", r.URL.Path, "status", st)
	}
	writeJSON(w, code, bodyOf(st))
}

// notPrimary answers a write sent to a node that is not the primary: 307
// to the same path on the primary's HTTP address when Config.Primary
// knows it (the client replays the request there, body included), 503
// with Retry-After otherwise.
func (a *API) notPrimary(w http.ResponseWriter, r *http.Request, st wire.Status) {
	if a.cfg.Primary != nil {
		if base, ok := a.cfg.Primary(); ok {
			http.Redirect(w, r, strings.TrimSuffix(base, "/")+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
	}
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, bodyOf(st))
}

// notFound is Iggy's answer for a resource a read does not find.
func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, errorBody{ID: 404, Code: "not_found", Reason: "Resource not found"})
}

// refused answers a service error: the operation was not taken (a full
// queue or password pool: 503, retry; closing: 503).
func (a *API) refused(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, service.ErrBusy) && !errors.Is(err, service.ErrPasswordsBusy) && !errors.Is(err, service.ErrClosed) {
		a.log.Error("http request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	a.fail(w, r, wire.StatusTransientNotAccepted)
}
