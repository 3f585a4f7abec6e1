package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"github.com/shoal-io/shoal/internal/wire"
)

// Messages and consumer offsets: the data plane. A send is turned into
// the binary SendMessages body and handed to the node, which admits it
// with the binary protocol's own checks (every checksum) and appends it on
// the partition's owner; a poll is the binary poll, its reply rendered as
// Iggy's PolledMessages JSON. HTTP consumers are plain consumers (kind 1):
// consumer groups need a session, which only the binary protocol has.

var messageRoutes = []route{
	{"GET", "/streams/{stream_id}/topics/{topic_id}/messages", false, (*API).pollMessages},
	{"POST", "/streams/{stream_id}/topics/{topic_id}/messages", false, (*API).sendMessages},
	{"GET", "/streams/{stream_id}/topics/{topic_id}/messages/flush/{partition_id}/{fsync}", false, (*API).flush},
	{"GET", "/streams/{stream_id}/topics/{topic_id}/consumer-offsets", false, (*API).getOffset},
	{"PUT", "/streams/{stream_id}/topics/{topic_id}/consumer-offsets", false, (*API).storeOffset},
	{"DELETE", "/streams/{stream_id}/topics/{topic_id}/consumer-offsets/{consumer_id}", false, (*API).deleteOffset},
}

// Iggy's PollMessages query defaults.
const (
	defaultPollCount = 10
	defaultConsumer  = 1
)

// headerKinds are the user header kinds by wire code, as Iggy's JSON names
// them.
var headerKinds = []string{1: "raw", 2: "string", 3: "bool", 4: "int8", 5: "int16", 6: "int32", 7: "int64", 8: "int128",
	9: "uint8", 10: "uint16", 11: "uint32", 12: "uint64", 13: "uint128", 14: "float32", 15: "float64"}

func headerKindCode(name string) (byte, bool) {
	for i, n := range headerKinds {
		if n == name && i > 0 {
			return byte(i), true
		}
	}
	return 0, false
}

// u128 is a message id: 16 bytes, little-endian, written in JSON as a
// decimal number (serde's u128).
type u128 [16]byte

func (v u128) MarshalJSON() ([]byte, error) {
	be := make([]byte, 16)
	for i := range 16 {
		be[i] = v[15-i]
	}
	return []byte(new(big.Int).SetBytes(be).String()), nil
}

// parseMessageID reads a message id as Iggy's HTTP API does: a JSON
// number, a decimal string or 32 hex digits (a UUID, dashes allowed);
// absent is 0.
func parseMessageID(raw json.RawMessage) (u128, error) {
	var out u128
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return out, errors.New("message id must be a number or a string")
		}
		x, err := strconv.ParseUint(n.String(), 10, 64)
		if err != nil {
			return out, errors.New("message id must be a positive integer")
		}
		binary.LittleEndian.PutUint64(out[:], x)
		return out, nil
	}
	if x, ok := new(big.Int).SetString(s, 10); ok && x.Sign() >= 0 && x.BitLen() <= 128 {
		be := x.FillBytes(make([]byte, 16))
		for i := range 16 {
			out[i] = be[15-i]
		}
		return out, nil
	}
	h := strings.ReplaceAll(s, "-", "")
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 16 {
		return out, errors.New("message id must be a decimal number or a UUID")
	}
	for i := range 16 { // a UUID's hex is the u128 big-endian
		out[i] = b[15-i]
	}
	return out, nil
}

// b64 is a base64 JSON string (a payload), decoded straight from the raw
// JSON: base64 has no characters JSON must escape, so the string needs no
// unquoting unless a sender escaped one anyway ("\/").
type b64 []byte

func (v *b64) UnmarshalJSON(raw []byte) error {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return errors.New("payload must be a base64 string")
	}
	in := raw[1 : len(raw)-1]
	if bytes.IndexByte(in, '\\') >= 0 {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		in = []byte(s)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(in)))
	n, err := base64.StdEncoding.Decode(out, in)
	*v = out[:n]
	return err
}

type headerFieldJSON struct {
	Kind  string `json:"kind"`
	Value []byte `json:"value"` // base64
}

type headerEntryJSON struct {
	Key   headerFieldJSON `json:"key"`
	Value headerFieldJSON `json:"value"`
}

// decodeHeaders turns user header TLV pairs into Iggy's JSON entries; ok
// is false when they do not parse (they are then sent as base64).
func decodeHeaders(b []byte) ([]headerEntryJSON, bool) {
	out := []headerEntryJSON{}
	field := func() (headerFieldJSON, bool) {
		if len(b) < 5 {
			return headerFieldJSON{}, false
		}
		k, n := int(b[0]), binary.LittleEndian.Uint32(b[1:5])
		if k < 1 || k >= len(headerKinds) || uint64(n) > uint64(len(b)-5) {
			return headerFieldJSON{}, false
		}
		f := headerFieldJSON{Kind: headerKinds[k], Value: b[5 : 5+n]}
		b = b[5+n:]
		return f, true
	}
	for len(b) > 0 {
		k, ok1 := field()
		v, ok2 := field()
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, headerEntryJSON{Key: k, Value: v})
	}
	return out, true
}

// encodeHeaders turns Iggy's JSON user headers (entries, or a base64
// string of the raw TLV) into the TLV bytes a message frame carries.
func encodeHeaders(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return base64.StdEncoding.DecodeString(s)
	}
	var entries []headerEntryJSON
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, err
	}
	var out []byte
	for _, e := range entries {
		for _, f := range []headerFieldJSON{e.Key, e.Value} {
			k, ok := headerKindCode(f.Kind)
			if !ok || len(f.Value) == 0 || len(f.Value) > 255 {
				return nil, errors.New("bad user header")
			}
			out = append(out, k)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(f.Value)))
			out = append(out, f.Value...)
		}
	}
	return out, nil
}

// sendBody is Iggy's SendMessages JSON.
type sendBody struct {
	Partitioning struct {
		Kind  string `json:"kind"`
		Value []byte `json:"value"` // base64
	} `json:"partitioning"`
	Messages []struct {
		ID          json.RawMessage `json:"id"`
		Payload     b64             `json:"payload"`
		UserHeaders json.RawMessage `json:"user_headers"`
	} `json:"messages"`
}

// partitioning is the body's partitioning as the wire carries it.
func (b *sendBody) partitioning() (wire.Partitioning, wire.Status) {
	v := b.Partitioning.Value
	switch b.Partitioning.Kind {
	case "", "balanced":
		return wire.Partitioning{Kind: wire.PartitionBalanced}, wire.StatusOK
	case "partition_id":
		if len(v) != 4 {
			return wire.Partitioning{}, wire.StatusInvalidKeyValueLength
		}
		return wire.Partitioning{Kind: wire.PartitionByID, Partition: binary.LittleEndian.Uint32(v)}, wire.StatusOK
	case "messages_key":
		if len(v) == 0 || len(v) > 255 {
			return wire.Partitioning{}, wire.StatusInvalidKeyValueLength
		}
		return wire.Partitioning{Kind: wire.PartitionByMessageID, Key: v}, wire.StatusOK
	}
	return wire.Partitioning{}, wire.StatusInvalidFormat
}

// sendMessages appends a batch: 201, no body.
func (a *API) sendMessages(w http.ResponseWriter, r *http.Request, id identity) {
	var req sendBody
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok || !a.readJSON(w, r, &req) {
		return
	}
	p, st := req.partitioning()
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	now := uint64(a.cfg.Now().UnixMicro())
	msgs := make([]wire.MessageIn, len(req.Messages))
	for i, m := range req.Messages {
		mid, err := parseMessageID(m.ID)
		if err != nil {
			a.fail(w, r, wire.StatusInvalidFormat)
			return
		}
		if mid == (u128{}) { // Iggy's SDKs give a message without an id a UUID
			_, _ = rand.Read(mid[:])
		}
		headers, err := encodeHeaders(m.UserHeaders)
		if err != nil {
			a.fail(w, r, wire.StatusInvalidFormat)
			return
		}
		msgs[i] = wire.MessageIn{ID: mid, OriginTimestamp: now, Payload: m.Payload, UserHeaders: headers}
	}
	body, err := wire.AppendSendMessages(nil, ids[0], ids[1], p, msgs)
	if err != nil {
		a.fail(w, r, wire.StatusOf(err))
		return
	}
	if st := a.node.SendMessages(r.Context(), caller(id), body); st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

type messageHeaderJSON struct {
	Checksum          uint64 `json:"checksum"`
	ID                u128   `json:"id"`
	Offset            uint64 `json:"offset"`
	Timestamp         uint64 `json:"timestamp"`
	OriginTimestamp   uint64 `json:"origin_timestamp"`
	UserHeadersLength uint32 `json:"user_headers_length"`
	PayloadLength     uint32 `json:"payload_length"`
	Reserved          uint64 `json:"reserved"`
}

type messageJSON struct {
	Header      messageHeaderJSON `json:"header"`
	Payload     []byte            `json:"payload"`      // base64
	UserHeaders any               `json:"user_headers"` // entries, or base64 when they do not parse
}

type polledJSON struct {
	PartitionID   uint32        `json:"partition_id"`
	CurrentOffset uint64        `json:"current_offset"`
	Count         uint32        `json:"count"`
	Messages      []messageJSON `json:"messages"`
}

// polledOf renders a binary poll reply as Iggy's PolledMessages.
func polledOf(body []byte) (polledJSON, error) {
	var out polledJSON
	out.Messages = []messageJSON{}
	r, err := wire.DecodePollReply(body, func(h *wire.BatchHeader, m *wire.Message) error {
		mj := messageJSON{Header: messageHeaderJSON{Checksum: m.Checksum, ID: u128(m.ID), Offset: h.BaseOffset + uint64(m.OffsetDelta),
			Timestamp: h.BaseTimestamp, OriginTimestamp: h.OriginTimestamp + uint64(m.TimestampDelta),
			UserHeadersLength: uint32(len(m.UserHeaders)), PayloadLength: uint32(len(m.Payload))}, Payload: m.Payload}
		if hs, ok := decodeHeaders(m.UserHeaders); ok {
			mj.UserHeaders = hs
		} else {
			mj.UserHeaders = base64.StdEncoding.EncodeToString(m.UserHeaders)
		}
		out.Messages = append(out.Messages, mj)
		return nil
	})
	out.PartitionID, out.CurrentOffset, out.Count = r.PartitionID, r.CurrentOffset, r.MessagesCount
	return out, err
}

var pollKinds = map[string]wire.PollingKind{"offset": wire.PollOffset, "o": wire.PollOffset, "timestamp": wire.PollTimestamp,
	"t": wire.PollTimestamp, "first": wire.PollFirst, "f": wire.PollFirst, "last": wire.PollLast, "l": wire.PollLast,
	"next": wire.PollNext, "n": wire.PollNext}

// query reads Iggy's query parameters, with their defaults.
type query struct {
	a   *API
	w   http.ResponseWriter
	r   *http.Request
	bad bool
}

func (q *query) u64(name string, def uint64) uint64 {
	s := q.r.URL.Query().Get(name)
	if s == "" || q.bad {
		return def
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		q.bad = true
		q.a.fail(q.w, q.r, wire.StatusInvalidFormat)
	}
	return n
}

func (q *query) u32(name string, def uint32) uint32 {
	n := q.u64(name, uint64(def))
	if n > 1<<32-1 && !q.bad {
		q.bad = true
		q.a.fail(q.w, q.r, wire.StatusInvalidFormat)
	}
	return uint32(n)
}

// consumer reads a consumer id (Identifier::from_str: a u32 is numeric,
// anything else a name), default 1.
func (q *query) consumer(s string) wire.Consumer {
	if s == "" {
		return wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(defaultConsumer)}
	}
	id, ok := ident(s)
	if !ok && !q.bad {
		q.bad = true
		q.a.fail(q.w, q.r, wire.StatusInvalidIdentifier)
	}
	return wire.Consumer{Kind: wire.ConsumerSingle, ID: id}
}

// pollMessages polls: ?consumer_id=&partition_id=&kind=&value=&count=&auto_commit=.
func (a *API) pollMessages(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok {
		return
	}
	q := query{a: a, w: w, r: r}
	v := r.URL.Query()
	req := wire.PollMessages{Consumer: q.consumer(v.Get("consumer_id")), Stream: ids[0], Topic: ids[1], HasPartition: true,
		Partition: q.u32("partition_id", 0), Count: q.u32("count", defaultPollCount)}
	req.Strategy.Value = q.u64("value", 0)
	if q.bad {
		return
	}
	kind, ok := pollKinds[v.Get("kind")]
	switch {
	case v.Get("kind") == "":
		kind = wire.PollOffset
	case !ok:
		a.fail(w, r, wire.StatusInvalidCommand)
		return
	}
	req.Strategy.Kind = kind
	if ac := v.Get("auto_commit"); ac != "" {
		b, err := strconv.ParseBool(ac)
		if err != nil {
			a.fail(w, r, wire.StatusInvalidFormat)
			return
		}
		req.AutoCommit = b
	}
	body, st := a.node.PollMessages(r.Context(), caller(id), &req)
	if st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	out, err := polledOf(body)
	if err != nil {
		a.log.Error("undecodable poll reply", "err", err)
		a.fail(w, r, wire.StatusError)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// flush syncs a partition to disk when fsync is true; 200.
func (a *API) flush(w http.ResponseWriter, r *http.Request, id identity) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok {
		return
	}
	part, err1 := parseU32(r.PathValue("partition_id"))
	fsync, err2 := strconv.ParseBool(r.PathValue("fsync"))
	if err1 != nil || err2 != nil {
		a.fail(w, r, wire.StatusInvalidFormat)
		return
	}
	if st := a.node.Flush(r.Context(), caller(id), ids[0], ids[1], part, fsync); st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// offsetRequest builds a consumer offset request with the binary
// protocol's decoder (viaWire's check); partition absent is 0.
func (a *API) offsetRequest(w http.ResponseWriter, r *http.Request, kind wire.OffsetKind, c wire.Consumer, part *uint32, offset uint64) (wire.ConsumerOffsetRequest, bool) {
	ids, ok := a.pathIDs(w, r, "stream_id", "topic_id")
	if !ok {
		return wire.ConsumerOffsetRequest{}, false
	}
	req := wire.ConsumerOffsetRequest{Consumer: c, Stream: ids[0], Topic: ids[1], Offset: offset}
	if part != nil {
		req.HasPartition, req.Partition = true, *part
	}
	var out wire.ConsumerOffsetRequest
	if st := out.Decode(kind, req.Append(kind, nil)); st != wire.StatusOK {
		a.fail(w, r, st)
		return out, false
	}
	return out, true
}

// getOffset answers {partition_id, current_offset, stored_offset}, or 404
// when none is stored: ?consumer_id=&partition_id=.
func (a *API) getOffset(w http.ResponseWriter, r *http.Request, id identity) {
	q := query{a: a, w: w, r: r}
	c := q.consumer(r.URL.Query().Get("consumer_id"))
	part := q.u32("partition_id", 0)
	if q.bad {
		return
	}
	req, ok := a.offsetRequest(w, r, wire.OffsetGet, c, &part, 0)
	if !ok {
		return
	}
	body, st := a.node.ConsumerOffset(r.Context(), caller(id), wire.OffsetGet, &req)
	switch {
	case st != wire.StatusOK:
		a.fail(w, r, st)
		return
	case len(body) == 0:
		notFound(w)
		return
	}
	var info wire.ConsumerOffsetInfo
	if err := info.Decode(body); err != nil {
		a.fail(w, r, wire.StatusError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"partition_id": uint64(info.Partition), "current_offset": info.CurrentOffset,
		"stored_offset": info.StoredOffset})
}

// storeOffset stores an offset: {consumer_id, partition_id, offset}; 204.
func (a *API) storeOffset(w http.ResponseWriter, r *http.Request, id identity) {
	var body struct {
		ConsumerID  json.RawMessage `json:"consumer_id"`
		PartitionID *uint32         `json:"partition_id"`
		Offset      u64             `json:"offset"`
	}
	if !a.readJSON(w, r, &body) {
		return
	}
	cid := ""
	if len(body.ConsumerID) > 0 && string(body.ConsumerID) != "null" {
		var s string
		if json.Unmarshal(body.ConsumerID, &s) != nil {
			s = string(body.ConsumerID) // a number
		}
		cid = s
	}
	q := query{a: a, w: w, r: r}
	c := q.consumer(cid)
	if q.bad {
		return
	}
	a.offsetWrite(w, r, id, wire.OffsetStore, c, body.PartitionID, uint64(body.Offset))
}

// deleteOffset deletes a consumer's offset: ?partition_id=; 204.
func (a *API) deleteOffset(w http.ResponseWriter, r *http.Request, id identity) {
	q := query{a: a, w: w, r: r}
	c := q.consumer(r.PathValue("consumer_id"))
	var part *uint32
	if r.URL.Query().Get("partition_id") != "" {
		p := q.u32("partition_id", 0)
		part = &p
	}
	if q.bad {
		return
	}
	a.offsetWrite(w, r, id, wire.OffsetDelete, c, part, 0)
}

func (a *API) offsetWrite(w http.ResponseWriter, r *http.Request, id identity, kind wire.OffsetKind, c wire.Consumer, part *uint32, offset uint64) {
	req, ok := a.offsetRequest(w, r, kind, c, part, offset)
	if !ok {
		return
	}
	if _, st := a.node.ConsumerOffset(r.Context(), caller(id), kind, &req); st != wire.StatusOK {
		a.fail(w, r, st)
		return
	}
	noContent(w)
}
