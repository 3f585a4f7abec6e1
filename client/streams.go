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

// Streams, topics and partitions (wire.md §3.2, §3.6). Request bodies are
// the wire package's types, and so are the replies (wire.StreamInfo,
// wire.TopicDetails, ...), decoded bounds-checked there: a short or
// inconsistent body is ErrMalformedReply, never a panic. This file turns
// them into the SDK's types.

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
	b, err := c.Request(ctx, wire.OpCreateStream, 0, (&wire.CreateStream{Name: name}).Append(nil))
	if err != nil {
		return nil, fmt.Errorf("create stream %q: %w", name, err)
	}
	var info wire.StreamInfo
	if err := info.Decode(b); err != nil {
		return nil, malformed("CreateStream", err)
	}
	s, err := streamOf(&info)
	if err != nil {
		return nil, malformed("CreateStream", err)
	}
	return &s, nil
}

// GetStream reads a stream and its topics.
func (c *Client) GetStream(ctx context.Context, stream Identifier) (*Stream, error) {
	if err := checkID("stream", stream); err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeStream, (&wire.StreamRequest{Stream: stream}).Append(nil))
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
	_, err := c.Request(ctx, wire.OpDeleteStream, 0, (&wire.StreamRequest{Stream: stream}).Append(nil))
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
	opts, err := appendOptions(nil, options)
	if err != nil {
		return nil, err
	}
	req := wire.CreateTopic{Stream: stream, Partitions: partitions, Name: name, Options: opts}
	b, err := c.Request(ctx, wire.OpCreateTopic, 0, req.Append(nil))
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
	_, err := c.Request(ctx, wire.OpUpdateStream, 0, (&wire.UpdateStream{Stream: stream, Name: name}).Append(nil))
	return named(err, stream, nil)
}

// UpdateTopic renames a topic (pass its current name to keep it) and
// changes the options given, which may be compression_algorithm,
// message_expiry and max_topic_size; the others keep their values.
func (c *Client) UpdateTopic(ctx context.Context, stream, topic Identifier, name string, options map[string]string) error {
	if err := checkTopic(stream, topic); err != nil {
		return err
	}
	if err := checkName("topic", name); err != nil {
		return err
	}
	opts, err := appendOptions(nil, options)
	if err != nil {
		return err
	}
	req := wire.UpdateTopic{Stream: stream, Topic: topic, Name: name, Options: opts}
	_, err = c.Request(ctx, wire.OpUpdateTopic, 0, req.Append(nil))
	return named(err, stream, &topic)
}

// GetTopic reads a topic and its partitions.
func (c *Client) GetTopic(ctx context.Context, stream, topic Identifier) (*Topic, error) {
	if err := checkTopic(stream, topic); err != nil {
		return nil, err
	}
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeTopic, (&wire.TopicRequest{Stream: stream, Topic: topic}).Append(nil))
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
	b, err := c.Request(ctx, wire.OpNonReplicated, CodeTopics, (&wire.StreamRequest{Stream: stream}).Append(nil))
	if err != nil {
		return nil, named(err, stream, nil)
	}
	return decodeTopics(b)
}

// DeleteTopic deletes a topic with its partitions and messages.
func (c *Client) DeleteTopic(ctx context.Context, stream, topic Identifier) error {
	if err := checkTopic(stream, topic); err != nil {
		return err
	}
	_, err := c.Request(ctx, wire.OpDeleteTopic, 0, (&wire.TopicRequest{Stream: stream, Topic: topic}).Append(nil))
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
	if err := checkTopic(stream, topic); err != nil {
		return err
	}
	_, err := c.Request(ctx, op, 0, (&wire.PartitionsRequest{Stream: stream, Topic: topic, Count: count}).Append(nil))
	return named(err, stream, &topic)
}

// checkTopic checks a stream and a topic identifier.
func checkTopic(stream, topic Identifier) error {
	if err := checkID("stream", stream); err != nil {
		return err
	}
	return checkID("topic", topic)
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

// appendTLV appends [kind u8][len u32][value], the entry layout of options
// and user headers.
func appendTLV(b []byte, kind ValueKind, v []byte) []byte {
	b = append(b, byte(kind))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

// malformed is a reply body that does not decode.
func malformed(what string, err error) error {
	return fmt.Errorf("%s: %w: %v", what, ErrMalformedReply, err)
}

func streamOf(s *wire.StreamInfo) (Stream, error) {
	if _, err := decodeTLV(s.Options); err != nil { // streams have none; a bad block is still bad
		return Stream{}, fmt.Errorf("options: %v", err)
	}
	return Stream{ID: s.ID, Name: s.Name, CreatedAt: micros(s.CreatedAt), TopicsCount: s.TopicsCount, Size: s.Size,
		MessagesCount: s.Messages}, nil
}

// topicOptions turns an options block's entries into TopicOptions.
func topicOptions(entries []byte) ([]TopicOption, error) {
	hs, err := decodeTLV(entries)
	if err != nil {
		return nil, fmt.Errorf("options: %v", err)
	}
	out := make([]TopicOption, len(hs))
	for i, h := range hs {
		out[i] = TopicOption{Key: string(h.Key.Raw), Value: h.Value}
	}
	return out, nil
}

func topicOf(t *wire.TopicInfo) (Topic, error) {
	out := Topic{ID: t.ID, Name: t.Name, CreatedAt: micros(t.CreatedAt), PartitionsCount: t.PartitionsCount,
		MessageExpiry: t.MessageExpiry, MaxTopicSize: t.MaxTopicSize, Size: t.Size, MessagesCount: t.Messages}
	switch t.Compression {
	case 1:
		out.Compression = "none"
	case 2:
		out.Compression = "gzip"
	default:
		out.Compression = "compression " + strconv.Itoa(int(t.Compression))
	}
	var err error
	if out.Options, err = topicOptions(t.Options); err != nil {
		return Topic{}, err
	}
	if out.DerivedOptions, err = topicOptions(t.DerivedOptions); err != nil {
		return Topic{}, err
	}
	return out, nil
}

func partitionOf(p *wire.PartitionInfo) Partition {
	return Partition{ID: p.ID, CreatedAt: micros(p.CreatedAt), SegmentsCount: p.SegmentsCount, CurrentOffset: p.CurrentOffset,
		Size: p.Size, MessagesCount: p.Messages}
}

func decodeStreams(b []byte) ([]Stream, error) {
	infos, err := wire.DecodeStreams(b)
	if err != nil {
		return nil, malformed("GetStreams", err)
	}
	var out []Stream
	for i := range infos {
		s, err := streamOf(&infos[i])
		if err != nil {
			return nil, malformed("GetStreams", err)
		}
		out = append(out, s)
	}
	return out, nil
}

func decodeGetStream(b []byte) (*Stream, error) {
	var d wire.StreamDetails
	if err := d.Decode(b); err != nil {
		return nil, malformed("GetStream", err)
	}
	s, err := streamOf(&d.StreamInfo)
	for i := 0; i < len(d.Topics) && err == nil; i++ {
		var t Topic
		t, err = topicOf(&d.Topics[i])
		s.Topics = append(s.Topics, t)
	}
	if err != nil {
		return nil, malformed("GetStream", err)
	}
	return &s, nil
}

func decodeGetTopic(b []byte) (*Topic, error) {
	var d wire.TopicDetails
	if err := d.Decode(b); err != nil {
		return nil, malformed("GetTopic", err)
	}
	t, err := topicOf(&d.TopicInfo)
	if err != nil {
		return nil, malformed("GetTopic", err)
	}
	for i := range d.Partitions {
		t.Partitions = append(t.Partitions, partitionOf(&d.Partitions[i]))
	}
	return &t, nil
}

func decodeTopics(b []byte) ([]Topic, error) {
	infos, err := wire.DecodeTopics(b)
	if err != nil {
		return nil, malformed("GetTopics", err)
	}
	var out []Topic
	for i := range infos {
		t, err := topicOf(&infos[i])
		if err != nil {
			return nil, malformed("GetTopics", err)
		}
		out = append(out, t)
	}
	return out, nil
}

// DeleteSegments removes up to count of the oldest sealed segments of a
// partition. The server keeps the active segment and any segment holding
// messages a consumer has not consumed yet (below the lowest stored
// consumer offset), so fewer, or none, may go.
func (c *Client) DeleteSegments(ctx context.Context, stream, topic Identifier, partition, count uint32) error {
	if err := checkTopic(stream, topic); err != nil {
		return err
	}
	req := wire.DeleteSegments{Stream: stream, Topic: topic, Partition: partition, Count: count}
	_, err := c.Request(ctx, wire.OpDeleteSegments, 0, req.Append(nil))
	return namedPartition(err, stream, topic, PartitionID(partition))
}
