package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/shoal-io/shoal/internal/wire"
)

// Streams, topics and partitions (wire.md §3.2, §3.6). Reply bodies are
// decoded here, bounds-checked: a short or inconsistent body is
// ErrMalformedReply, never a panic.
//
//	StreamResponse    [id u32][created_at u64 µs][topics_count u32][size_bytes u64]
//	                  [messages_count u64][name_len u8][name][options_len u32][options TLV]
//	TopicHeader       [id u32][created_at u64][partitions_count u32][message_expiry u64]
//	                  [compression u8][max_topic_size u64][size_bytes u64][messages_count u64]
//	                  [name_len u8][name][explicit_len u32][TLV][derived_len u32][TLV]
//	PartitionResponse [id u32][created_at u64][segments_count u32][current_offset u64]
//	                  [size_bytes u64][messages_count u64]

var (
	// ErrMalformedReply means a reply body does not decode; the
	// connection stays open.
	ErrMalformedReply = errors.New("client: malformed reply")
	// ErrNotFound matches every *NotFoundError.
	ErrNotFound = errors.New("client: not found")
)

// NotFoundError names the stream, topic or partition a request addressed
// that the server does not know. Status is the server's status, or 0 when
// the server answered a read with an empty body (its way to say "none").
type NotFoundError struct {
	Resource string // "stream", "topic" or "partition"
	Name     string // the identifier as given: a number or a quoted name
	Status   Status
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("client: %s %s not found", e.Resource, e.Name)
}

// Is matches ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the status error, so errors.Is matches a *StatusError
// with the same status.
func (e *NotFoundError) Unwrap() error {
	if e.Status == wire.StatusOK {
		return nil
	}
	return e.Status.Err()
}

// Identifier names a stream, topic or consumer by number or by name.
type Identifier = wire.Identifier

// NumericID returns a numeric identifier (ids are 0-based).
func NumericID(id uint32) Identifier { return wire.NumericID(id) }

// NamedID returns a name identifier.
func NamedID(name string) Identifier { return wire.NamedID(name) }

// ParseIdentifier reads a decimal number as a numeric identifier and
// anything else as a name, as command lines give them.
func ParseIdentifier(s string) Identifier {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return wire.NumericID(uint32(n))
	}
	return wire.NamedID(s)
}

func checkID(what string, id Identifier) error {
	switch {
	case id.Kind == wire.IdentifierNumeric:
		return nil
	case id.Kind != wire.IdentifierString:
		return fmt.Errorf("client: %s identifier of kind %d", what, id.Kind)
	case len(id.Name) == 0 || len(id.Name) > 255:
		return fmt.Errorf("client: %s name must be 1..255 bytes", what)
	}
	return nil
}

func checkName(what, name string) error {
	if len(name) == 0 || len(name) > 255 || !utf8.ValidString(name) {
		return fmt.Errorf("client: %s name must be 1..255 bytes of UTF-8", what)
	}
	return nil
}

// Stream is a stream as the server describes it.
type Stream struct {
	ID            uint32    `json:"id"`
	Name          string    `json:"name"`
	CreatedAt     time.Time `json:"created_at"`
	TopicsCount   uint32    `json:"topics_count"`
	Size          uint64    `json:"size_bytes"`
	MessagesCount uint64    `json:"messages_count"`
	// Topics is filled by GetStream only (headers: no partitions).
	Topics []Topic `json:"topics,omitempty"`
}

// Topic is a topic as the server describes it.
type Topic struct {
	ID              uint32    `json:"id"`
	Name            string    `json:"name"`
	CreatedAt       time.Time `json:"created_at"`
	PartitionsCount uint32    `json:"partitions_count"`
	MessageExpiry   uint64    `json:"message_expiry"` // µs; math.MaxUint64 keeps messages forever
	Compression     string    `json:"compression"`    // "none" or "gzip"
	MaxTopicSize    uint64    `json:"max_topic_size"` // bytes; math.MaxUint64 means no bound
	Size            uint64    `json:"size_bytes"`
	MessagesCount   uint64    `json:"messages_count"`
	// Options are the keys set at creation, in their canonical kinds;
	// DerivedOptions are every other key of the catalog at its default.
	Options        []TopicOption `json:"options"`
	DerivedOptions []TopicOption `json:"derived_options"`
	// Partitions is filled by GetTopic and CreateTopic only.
	Partitions []Partition `json:"partitions,omitempty"`
}

// Partition is one partition of a topic.
type Partition struct {
	ID            uint32    `json:"id"`
	CreatedAt     time.Time `json:"created_at"`
	SegmentsCount uint32    `json:"segments_count"`
	CurrentOffset uint64    `json:"current_offset"`
	Size          uint64    `json:"size_bytes"`
	MessagesCount uint64    `json:"messages_count"`
}

// TopicOption is one topic option: a string key and a typed value.
type TopicOption struct {
	Key   string `json:"key"`
	Value Value  `json:"value"`
}

// CreateStream creates a stream; ids are assigned by the server.
func (c *Client) CreateStream(ctx context.Context, name string) (*Stream, error) {
	if err := checkName("stream", name); err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpCreateStream, 0, appendName(nil, name))
	if err != nil {
		return nil, fmt.Errorf("create stream %q: %w", name, err)
	}
	r := reader{b: b}
	s := r.stream()
	if err := r.done("CreateStream"); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetStream reads a stream and its topics.
func (c *Client) GetStream(ctx context.Context, stream Identifier) (*Stream, error) {
	if err := checkID("stream", stream); err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeStream, stream.Append(nil))
	if err != nil {
		return nil, named(err, stream, nil)
	}
	if len(b) == 0 {
		return nil, &NotFoundError{Resource: "stream", Name: stream.String()}
	}
	return decodeGetStream(b)
}

// GetStreams lists every stream, by id.
func (c *Client) GetStreams(ctx context.Context) ([]Stream, error) {
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeStreams, nil)
	if err != nil {
		return nil, err
	}
	return decodeStreams(b)
}

// DeleteStream deletes a stream with its topics and messages.
func (c *Client) DeleteStream(ctx context.Context, stream Identifier) error {
	if err := checkID("stream", stream); err != nil {
		return err
	}
	_, err := c.Request(ctx, wire.OpDeleteStream, 0, stream.Append(nil))
	return named(err, stream, nil)
}

// CreateTopic creates a topic with partitions partitions in stream. Options
// are catalog keys (DescribeOptions lists them) with string values, which
// the server parses ("true", "1 GiB", "7days"); they are sent sorted by key.
func (c *Client) CreateTopic(ctx context.Context, stream Identifier, name string, partitions uint32, options map[string]string) (*Topic, error) {
	if err := checkID("stream", stream); err != nil {
		return nil, err
	}
	if err := checkName("topic", name); err != nil {
		return nil, err
	}
	body := stream.Append(nil)
	body = binary.LittleEndian.AppendUint32(body, partitions)
	body, err := appendOptions(appendName(body, name), options)
	if err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpCreateTopic, 0, body)
	if err != nil {
		return nil, fmt.Errorf("create topic %q: %w", name, named(err, stream, nil))
	}
	return decodeGetTopic(b)
}

// appendOptions appends options as string TLV pairs, sorted by key.
func appendOptions(body []byte, options map[string]string) ([]byte, error) {
	for _, k := range slices.Sorted(maps.Keys(options)) {
		v := options[k]
		if len(k) == 0 || len(k) > 255 || len(v) == 0 || len(v) > 255 {
			return nil, fmt.Errorf("client: option %q=%q: keys and values must be 1..255 bytes", k, v)
		}
		body = appendTLV(body, KindString, []byte(k))
		body = appendTLV(body, KindString, []byte(v))
	}
	return body, nil
}

// UpdateStream renames a stream.
func (c *Client) UpdateStream(ctx context.Context, stream Identifier, name string) error {
	if err := checkID("stream", stream); err != nil {
		return err
	}
	if err := checkName("stream", name); err != nil {
		return err
	}
	_, err := c.Request(ctx, wire.OpUpdateStream, 0, appendName(stream.Append(nil), name))
	return named(err, stream, nil)
}

// UpdateTopic renames a topic (pass its current name to keep it) and
// changes the options given, which may be compression_algorithm,
// message_expiry and max_topic_size; the others keep their values.
func (c *Client) UpdateTopic(ctx context.Context, stream, topic Identifier, name string, options map[string]string) error {
	body, err := topicBody(stream, topic)
	if err != nil {
		return err
	}
	if err := checkName("topic", name); err != nil {
		return err
	}
	if body, err = appendOptions(appendName(body, name), options); err != nil {
		return err
	}
	_, err = c.Request(ctx, wire.OpUpdateTopic, 0, body)
	return named(err, stream, &topic)
}

// GetTopic reads a topic and its partitions.
func (c *Client) GetTopic(ctx context.Context, stream, topic Identifier) (*Topic, error) {
	body, err := topicBody(stream, topic)
	if err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeTopic, body)
	if err != nil {
		return nil, named(err, stream, &topic)
	}
	if len(b) == 0 {
		// The server does not say which level is missing; ask.
		if _, err := c.GetStream(ctx, stream); err != nil {
			return nil, err
		}
		return nil, &NotFoundError{Resource: "topic", Name: topic.String()}
	}
	return decodeGetTopic(b)
}

// GetTopics lists a stream's topics, by id, without their partitions.
func (c *Client) GetTopics(ctx context.Context, stream Identifier) ([]Topic, error) {
	if err := checkID("stream", stream); err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeTopics, stream.Append(nil))
	if err != nil {
		return nil, named(err, stream, nil)
	}
	return decodeTopics(b)
}

// DeleteTopic deletes a topic with its partitions and messages.
func (c *Client) DeleteTopic(ctx context.Context, stream, topic Identifier) error {
	body, err := topicBody(stream, topic)
	if err != nil {
		return err
	}
	_, err = c.Request(ctx, wire.OpDeleteTopic, 0, body)
	return named(err, stream, &topic)
}

// CreatePartitions adds count partitions to a topic.
func (c *Client) CreatePartitions(ctx context.Context, stream, topic Identifier, count uint32) error {
	return c.partitions(ctx, wire.OpCreatePartitions, stream, topic, count)
}

// DeletePartitions removes a topic's last count partitions and their
// messages.
func (c *Client) DeletePartitions(ctx context.Context, stream, topic Identifier, count uint32) error {
	return c.partitions(ctx, wire.OpDeletePartitions, stream, topic, count)
}

func (c *Client) partitions(ctx context.Context, op wire.Operation, stream, topic Identifier, count uint32) error {
	body, err := topicBody(stream, topic)
	if err != nil {
		return err
	}
	_, err = c.Request(ctx, op, 0, binary.LittleEndian.AppendUint32(body, count))
	return named(err, stream, &topic)
}

func topicBody(stream, topic Identifier) ([]byte, error) {
	if err := checkID("stream", stream); err != nil {
		return nil, err
	}
	if err := checkID("topic", topic); err != nil {
		return nil, err
	}
	return topic.Append(stream.Append(nil)), nil
}

// named turns a not-found status into a *NotFoundError naming the
// identifier the caller gave; other errors pass through.
func named(err error, stream Identifier, topic *Identifier) error {
	var se *StatusError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Status {
	case wire.StatusStreamIdNotFound, wire.StatusStreamNameNotFound:
		return &NotFoundError{Resource: "stream", Name: stream.String(), Status: se.Status}
	case wire.StatusTopicIdNotFound, wire.StatusTopicNameNotFound:
		if topic != nil {
			return &NotFoundError{Resource: "topic", Name: topic.String(), Status: se.Status}
		}
	}
	return err
}

func appendName(b []byte, name string) []byte { return append(append(b, byte(len(name))), name...) }

// appendTLV appends [kind u8][len u32][value], the entry layout of options
// and user headers.
func appendTLV(b []byte, kind ValueKind, v []byte) []byte {
	b = append(b, byte(kind))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func decodeStreams(b []byte) ([]Stream, error) {
	r := reader{b: b}
	var out []Stream
	for len(r.b) > 0 && r.err == nil {
		out = append(out, r.stream())
	}
	if err := r.done("GetStreams"); err != nil {
		return nil, err
	}
	return out, nil
}

func decodeGetStream(b []byte) (*Stream, error) {
	r := reader{b: b}
	s := r.stream()
	for i := uint32(0); i < s.TopicsCount && r.err == nil; i++ {
		s.Topics = append(s.Topics, r.topic())
	}
	if err := r.done("GetStream"); err != nil {
		return nil, err
	}
	return &s, nil
}

func decodeGetTopic(b []byte) (*Topic, error) {
	r := reader{b: b}
	t := r.topic()
	for i := uint32(0); i < t.PartitionsCount && r.err == nil; i++ {
		t.Partitions = append(t.Partitions, r.partition())
	}
	if err := r.done("GetTopic"); err != nil {
		return nil, err
	}
	return &t, nil
}

func decodeTopics(b []byte) ([]Topic, error) {
	r := reader{b: b}
	n := r.u32()
	var out []Topic
	for i := uint32(0); i < n && r.err == nil; i++ {
		out = append(out, r.topic())
	}
	if err := r.done("GetTopics"); err != nil {
		return nil, err
	}
	return out, nil
}

// reader reads reply fields; the first failure sticks and later reads
// return zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformedReply}, args...)...)
	}
	r.b = nil
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail("%d bytes needed, %d left", n, len(r.b))
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) u8() uint8 {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *reader) micros() time.Time { return micros(r.u64()) }

func (r *reader) name() string { return string(r.take(int(r.u8()))) }

// block reads [len u32][TLV] into options.
func (r *reader) block() []TopicOption {
	n := r.u32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)) {
		r.fail("options block of %d bytes, %d left", n, len(r.b))
		return nil
	}
	hs, err := decodeTLV(r.take(int(n)))
	if err != nil {
		r.fail("options: %v", err)
		return nil
	}
	out := make([]TopicOption, len(hs))
	for i, h := range hs {
		out[i] = TopicOption{Key: string(h.Key.Raw), Value: h.Value}
	}
	return out
}

// done reports the first failure, or trailing bytes.
func (r *reader) done(what string) error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the body", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("%s: %w", what, r.err)
	}
	return nil
}

func (r *reader) stream() Stream {
	s := Stream{ID: r.u32(), CreatedAt: r.micros(), TopicsCount: r.u32(), Size: r.u64(), MessagesCount: r.u64(), Name: r.name()}
	r.block() // streams have no options
	return s
}

func (r *reader) topic() Topic {
	t := Topic{ID: r.u32(), CreatedAt: r.micros(), PartitionsCount: r.u32(), MessageExpiry: r.u64()}
	switch comp := r.u8(); comp {
	case 1:
		t.Compression = "none"
	case 2:
		t.Compression = "gzip"
	default:
		t.Compression = "compression " + strconv.Itoa(int(comp))
	}
	t.MaxTopicSize, t.Size, t.MessagesCount = r.u64(), r.u64(), r.u64()
	t.Name = r.name()
	t.Options = r.block()
	t.DerivedOptions = r.block()
	return t
}

func (r *reader) partition() Partition {
	return Partition{ID: r.u32(), CreatedAt: r.micros(), SegmentsCount: r.u32(), CurrentOffset: r.u64(), Size: r.u64(), MessagesCount: r.u64()}
}

// DeleteSegments removes up to count of the oldest sealed segments of a
// partition. The server keeps the active segment and any segment holding
// messages a consumer has not consumed yet (below the lowest stored
// consumer offset), so fewer, or none, may go.
func (c *Client) DeleteSegments(ctx context.Context, stream, topic Identifier, partition, count uint32) error {
	body, err := topicBody(stream, topic)
	if err != nil {
		return err
	}
	body = binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(body, partition), count)
	_, err = c.Request(ctx, wire.OpDeleteSegments, 0, body)
	return namedPartition(err, stream, topic, PartitionID(partition))
}
