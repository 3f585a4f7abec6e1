package metadata

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shoal-io/shoal/internal/units"
	"github.com/shoal-io/shoal/internal/wire"
)

// The topic options catalog (wire.md §3.6-3.8).

// HeaderKind is the kind byte of an options (or user headers) TLV entry.
type HeaderKind uint8

// The kinds the catalog uses.
const (
	KindRaw    HeaderKind = 1
	KindString HeaderKind = 2
	KindBool   HeaderKind = 3
	KindUint8  HeaderKind = 9
	KindUint32 HeaderKind = 11
	KindUint64 HeaderKind = 12
	maxKind    HeaderKind = 15 // Float64
)

// TopicOption indexes the catalog; the order is DescribeOptions' order.
type TopicOption uint8

const (
	OptCompression TopicOption = iota
	OptMessageExpiry
	OptMaxTopicSize
	OptSegmentSize
	OptEnforceFsync
	OptMessagesRequiredToSave
	OptSizeOfMessagesRequiredToSave
	OptPreallocateSegments
	numTopicOptions
)

// Catalog limits (wire.md §3.7).
const (
	MinSegmentSize                  = 1 << 20
	MaxSegmentSize                  = 1 << 30
	MaxMessagesRequiredToSave       = 16 << 20
	MaxSizeOfMessagesRequiredToSave = 1 << 30
	MaxPreallocatedTopicBytes       = 64 << 30
	MaxPartitionsPerRequest         = wire.MaxPartitionsPerRequest
	maxOptionEntries                = 1024
	maxOptionBytes                  = 100_000
)

// Compression codes, as the topic header's compression byte carries them.
const (
	CompressionNone uint8 = 1
	CompressionGzip uint8 = 2
)

var topicCatalog = [numTopicOptions]struct {
	key  string
	kind HeaderKind
	desc string
}{
	OptCompression:                  {"compression_algorithm", KindString, "Codec producers apply to message payloads in this topic: none or gzip."},
	OptMessageExpiry:                {"message_expiry", KindUint64, "How long a message is kept, in microseconds; the maximum value keeps messages forever."},
	OptMaxTopicSize:                 {"max_topic_size", KindUint64, "Upper bound on the bytes the topic stores; the maximum value means no bound. Must be at least one segment."},
	OptSegmentSize:                  {"segment_size", KindUint64, "Size at which a partition starts a new segment file: a multiple of 512 bytes from 1 MiB to 1 GiB."},
	OptEnforceFsync:                 {"enforce_fsync", KindBool, "Sync every batch to disk before the send is acknowledged."},
	OptMessagesRequiredToSave:       {"messages_required_to_save", KindUint32, "Without enforce_fsync, sync after this many messages have been written since the last sync."},
	OptSizeOfMessagesRequiredToSave: {"size_of_messages_required_to_save", KindUint64, "Without enforce_fsync, sync after this many bytes have been written since the last sync."},
	OptPreallocateSegments:          {"preallocate_segments", KindBool, "Reserve each segment's full size on disk when it is created."},
}

// TopicOptions are a topic's options: Explicit has bit 1<<opt set for every
// key the client sent; the value fields hold those keys' canonical values
// (and zero for the others). Resolved fills in the defaults.
type TopicOptions struct {
	Explicit                     uint8
	Compression                  uint8 // CompressionNone or CompressionGzip
	MessageExpiry                uint64
	MaxTopicSize                 uint64
	SegmentSize                  uint64
	EnforceFsync                 bool
	MessagesRequiredToSave       uint32
	SizeOfMessagesRequiredToSave uint64
	PreallocateSegments          bool
}

// Has reports whether the client set opt.
func (o TopicOptions) Has(opt TopicOption) bool { return o.Explicit&(1<<opt) != 0 }

// DefaultTopicOptions are the values an option the client did not set
// resolves to.
var DefaultTopicOptions = TopicOptions{
	Compression:                  CompressionNone,
	MessageExpiry:                math.MaxUint64,
	MaxTopicSize:                 math.MaxUint64,
	SegmentSize:                  MaxSegmentSize,
	MessagesRequiredToSave:       1024,
	SizeOfMessagesRequiredToSave: 1 << 20,
}

// Resolved returns o with every unset key at its default; Explicit is
// kept.
func (o TopicOptions) Resolved() TopicOptions {
	r := DefaultTopicOptions
	r.Explicit = o.Explicit
	for opt := range numTopicOptions {
		if o.Has(opt) {
			r.set(opt, o)
		}
	}
	return r
}

func (o *TopicOptions) set(opt TopicOption, from TopicOptions) {
	switch opt {
	case OptCompression:
		o.Compression = from.Compression
	case OptMessageExpiry:
		o.MessageExpiry = from.MessageExpiry
	case OptMaxTopicSize:
		o.MaxTopicSize = from.MaxTopicSize
	case OptSegmentSize:
		o.SegmentSize = from.SegmentSize
	case OptEnforceFsync:
		o.EnforceFsync = from.EnforceFsync
	case OptMessagesRequiredToSave:
		o.MessagesRequiredToSave = from.MessagesRequiredToSave
	case OptSizeOfMessagesRequiredToSave:
		o.SizeOfMessagesRequiredToSave = from.SizeOfMessagesRequiredToSave
	case OptPreallocateSegments:
		o.PreallocateSegments = from.PreallocateSegments
	}
}

// appendValue appends opt's canonical value bytes.
func (o TopicOptions) appendValue(b []byte, opt TopicOption) []byte {
	switch opt {
	case OptCompression:
		if o.Compression == CompressionGzip {
			return append(b, "gzip"...)
		}
		return append(b, "none"...)
	case OptMessageExpiry:
		return binary.LittleEndian.AppendUint64(b, o.MessageExpiry)
	case OptMaxTopicSize:
		return binary.LittleEndian.AppendUint64(b, o.MaxTopicSize)
	case OptSegmentSize:
		return binary.LittleEndian.AppendUint64(b, o.SegmentSize)
	case OptEnforceFsync:
		return append(b, boolByte(o.EnforceFsync))
	case OptMessagesRequiredToSave:
		return binary.LittleEndian.AppendUint32(b, o.MessagesRequiredToSave)
	case OptSizeOfMessagesRequiredToSave:
		return binary.LittleEndian.AppendUint64(b, o.SizeOfMessagesRequiredToSave)
	default:
		return append(b, boolByte(o.PreallocateSegments))
	}
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// sortedOptions is the catalog in key order: response blocks list their
// entries sorted by key, as Iggy's ordered map does.
var sortedOptions = func() []TopicOption {
	out := make([]TopicOption, numTopicOptions)
	for i := range out {
		out[i] = TopicOption(i)
	}
	slices.SortFunc(out, func(a, b TopicOption) int { return strings.Compare(topicCatalog[a].key, topicCatalog[b].key) })
	return out
}()

// AppendOptionsBlock appends a response options block, [len u32][TLV],
// holding the explicit keys (explicit true) or every other key resolved to
// its default (explicit false), in canonical kinds, sorted by key.
func (o TopicOptions) AppendOptionsBlock(dst []byte, explicit bool) []byte {
	r := o.Resolved()
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for _, opt := range sortedOptions {
		if o.Has(opt) != explicit {
			continue
		}
		c := &topicCatalog[opt]
		dst = append(dst, byte(KindString))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.key)))
		dst = append(dst, c.key...)
		dst = append(dst, byte(c.kind))
		v := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = r.appendValue(dst, opt)
		binary.LittleEndian.PutUint32(dst[v:], uint32(len(dst)-v-4))
	}
	binary.LittleEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

// appendOp encodes o inside an operation: [explicit u8] then, for each set
// bit in catalog order, the canonical value.
func (o TopicOptions) appendOp(b []byte) []byte {
	b = append(b, o.Explicit)
	for opt := range numTopicOptions {
		if !o.Has(opt) {
			continue
		}
		if opt == OptCompression {
			b = append(b, o.Compression)
			continue
		}
		b = o.appendValue(b, opt)
	}
	return b
}

func (d *decoder) topicOptions() TopicOptions {
	o := TopicOptions{Explicit: d.u8()} // 8 keys use all 8 bits
	for opt := range numTopicOptions {
		if !o.Has(opt) {
			continue
		}
		switch opt {
		case OptCompression:
			o.Compression = d.u8()
		case OptMessageExpiry:
			o.MessageExpiry = d.u64()
		case OptMaxTopicSize:
			o.MaxTopicSize = d.u64()
		case OptSegmentSize:
			o.SegmentSize = d.u64()
		case OptEnforceFsync:
			o.EnforceFsync = d.boolean()
		case OptMessagesRequiredToSave:
			o.MessagesRequiredToSave = d.u32()
		case OptSizeOfMessagesRequiredToSave:
			o.SizeOfMessagesRequiredToSave = d.u64()
		case OptPreallocateSegments:
			o.PreallocateSegments = d.boolean()
		}
	}
	return o
}

func (d *decoder) boolean() bool {
	v := d.u8()
	if v > 1 {
		d.fail("boolean %d", v)
	}
	return v == 1
}

// optionEntry is one TLV entry of a request options block.
type optionEntry struct {
	keyKind, valKind HeaderKind
	key, val         []byte
}

// parseOptionEntries splits a request options block (TLV to the end of
// the body). A malformed block is StatusInvalidCommand, as Iggy's body
// decoder answers; a repeated key too.
func parseOptionEntries(b []byte) ([]optionEntry, wire.Status) {
	if len(b) > maxOptionBytes {
		return nil, wire.StatusOptionsBlockTooLarge
	}
	var out []optionEntry
	for len(b) > 0 {
		if len(out) == maxOptionEntries {
			return nil, wire.StatusOptionsBlockTooLarge
		}
		var e optionEntry
		var ok bool
		if e.keyKind, e.key, b, ok = cutTLV(b); !ok || e.keyKind != KindString || !utf8.Valid(e.key) {
			return nil, wire.StatusInvalidCommand
		}
		if e.valKind, e.val, b, ok = cutTLV(b); !ok {
			return nil, wire.StatusInvalidCommand
		}
		for _, prev := range out {
			if string(prev.key) == string(e.key) {
				return nil, wire.StatusInvalidCommand
			}
		}
		out = append(out, e)
	}
	return out, wire.StatusOK
}

// cutTLV reads [kind u8][len u32 1..255][bytes].
func cutTLV(b []byte) (HeaderKind, []byte, []byte, bool) {
	if len(b) < 5 {
		return 0, nil, nil, false
	}
	kind, n := HeaderKind(b[0]), binary.LittleEndian.Uint32(b[1:])
	if kind == 0 || kind > maxKind || n == 0 || n > 255 || uint64(len(b)-5) < uint64(n) {
		return 0, nil, nil, false
	}
	return kind, b[5 : 5+n], b[5+n:], true
}

// ParseStreamOptions checks a CreateStream options block: streams have no
// catalog keys, so any entry is StatusUnsupportedOptionKey.
func ParseStreamOptions(b []byte) wire.Status {
	entries, st := parseOptionEntries(b)
	if st != wire.StatusOK {
		return st
	}
	if len(entries) > 0 {
		return wire.StatusUnsupportedOptionKey
	}
	return wire.StatusOK
}

// ParseUserOptions checks a user's options block (UpdateUser): users have
// no catalog keys either, so any entry is StatusUnsupportedOptionKey.
func ParseUserOptions(b []byte) wire.Status { return ParseStreamOptions(b) }

// ParseTopicOptions parses a CreateTopic options block against the
// catalog: an unknown key is StatusUnsupportedOptionKey, a value of the
// wrong kind or out of its range StatusInvalidOptionValue. Zero sentinels
// (segment_size, message_expiry, max_topic_size and
// size_of_messages_required_to_save of 0) leave the key unset.
func ParseTopicOptions(b []byte) (TopicOptions, wire.Status) {
	var o TopicOptions
	entries, st := parseOptionEntries(b)
	if st != wire.StatusOK {
		return o, st
	}
	for _, e := range entries {
		opt := TopicOption(0)
		for ; opt < numTopicOptions && topicCatalog[opt].key != string(e.key); opt++ {
		}
		if opt == numTopicOptions {
			return o, wire.StatusUnsupportedOptionKey
		}
		if !o.parseValue(opt, e) {
			return o, wire.StatusInvalidOptionValue
		}
	}
	return o, wire.StatusOK
}

// parseValue sets opt from e, or reports a bad value.
func (o *TopicOptions) parseValue(opt TopicOption, e optionEntry) bool {
	mark := func(set bool) bool {
		if set {
			o.Explicit |= 1 << opt
		}
		return true
	}
	str := string(e.val)
	switch opt {
	case OptCompression:
		switch {
		case e.valKind == KindUint8 && len(e.val) == 1 && (e.val[0] == CompressionNone || e.val[0] == CompressionGzip):
			o.Compression = e.val[0]
		case e.valKind == KindString && strings.EqualFold(str, "none"):
			o.Compression = CompressionNone
		case e.valKind == KindString && strings.EqualFold(str, "gzip"):
			o.Compression = CompressionGzip
		default:
			return false
		}
		return mark(true)
	case OptEnforceFsync, OptPreallocateSegments:
		v, ok := parseBool(e)
		if !ok {
			return false
		}
		if opt == OptEnforceFsync {
			o.EnforceFsync = v
		} else {
			o.PreallocateSegments = v
		}
		return mark(true)
	case OptMessagesRequiredToSave:
		var v uint64
		switch {
		case e.valKind == KindUint32 && len(e.val) == 4:
			v = uint64(binary.LittleEndian.Uint32(e.val))
		case e.valKind == KindString:
			n, err := strconv.ParseUint(str, 10, 32)
			if err != nil {
				return false
			}
			v = n
		default:
			return false
		}
		if v == 0 || v > MaxMessagesRequiredToSave {
			return false
		}
		o.MessagesRequiredToSave = uint32(v)
		return mark(true)
	case OptMessageExpiry:
		v, ok := parseU64(e, parseExpiry)
		o.MessageExpiry = v
		return ok && mark(v != 0)
	case OptMaxTopicSize:
		v, ok := parseU64(e, parseTopicSize)
		o.MaxTopicSize = v
		return ok && mark(v != 0)
	case OptSegmentSize:
		v, ok := parseU64(e, parseByteSize)
		o.SegmentSize = v
		return ok && mark(v != 0)
	default: // OptSizeOfMessagesRequiredToSave
		v, ok := parseU64(e, parseByteSize)
		if !ok || v > MaxSizeOfMessagesRequiredToSave {
			return false
		}
		o.SizeOfMessagesRequiredToSave = v
		return mark(v != 0)
	}
}

func parseBool(e optionEntry) (bool, bool) {
	switch {
	case e.valKind == KindBool && len(e.val) == 1 && e.val[0] <= 1:
		return e.val[0] == 1, true
	case e.valKind == KindString && string(e.val) == "true":
		return true, true
	case e.valKind == KindString && string(e.val) == "false":
		return false, true
	}
	return false, false
}

// parseU64 reads a Uint64 value, or a String through fromString.
func parseU64(e optionEntry, fromString func(string) (uint64, bool)) (uint64, bool) {
	switch {
	case e.valKind == KindUint64 && len(e.val) == 8:
		return binary.LittleEndian.Uint64(e.val), true
	case e.valKind == KindString:
		return fromString(string(e.val))
	}
	return 0, false
}

// parseByteSize reads "128MiB", "1 GB" or a plain number; "unlimited" and
// "none" mean 0, as Iggy's byte sizes do.
func parseByteSize(s string) (uint64, bool) {
	switch s {
	case "0", "unlimited", "Unlimited", "none", "None":
		return 0, true
	}
	n, err := units.ParseSize(s)
	return n, err == nil
}

// parseTopicSize reads a max_topic_size string: "unlimited" is the
// maximum, "server_default" (and 0) unset.
func parseTopicSize(s string) (uint64, bool) {
	switch s {
	case "unlimited":
		return math.MaxUint64, true
	case "0", "server_default":
		return 0, true
	}
	return parseByteSize(s)
}

// parseExpiry reads a message_expiry string: "none"/"unlimited"/
// "never_expire" keep forever, "server_default" leaves it unset, anything
// else is a human duration of at most 2^32-1 seconds, in µs.
func parseExpiry(s string) (uint64, bool) {
	switch s {
	case "unlimited", "none", "None", "Unlimited", "never_expire":
		return math.MaxUint64, true
	case "default", "server_default", "Default", "Server_default":
		return 0, true
	}
	d, err := units.ParseDuration(s)
	if err != nil || d < 0 || d.Seconds() > math.MaxUint32 {
		return 0, false
	}
	return uint64(d.Microseconds()), true
}

// UpdatableTopicOptions are the keys an UpdateTopic may carry, as Iggy
// allows: the others describe how a partition's storage was laid down and
// stay as the topic was created.
const UpdatableTopicOptions = 1<<OptCompression | 1<<OptMessageExpiry | 1<<OptMaxTopicSize

// validateTopicUpdate checks an UpdateTopic's options against the topic's
// current ones: only UpdatableTopicOptions (StatusUnsupportedOptionKey
// otherwise), a known codec, and a max_topic_size of at least the topic's
// segment size (StatusInvalidTopicSize).
func validateTopicUpdate(current, update TopicOptions) wire.Status {
	switch {
	case update.Explicit&^UpdatableTopicOptions != 0:
		return wire.StatusUnsupportedOptionKey
	case update.Has(OptCompression) && update.Compression != CompressionNone && update.Compression != CompressionGzip:
		return wire.StatusInvalidOptionValue
	case update.Has(OptMaxTopicSize) && update.MaxTopicSize < current.Resolved().SegmentSize:
		return wire.StatusInvalidTopicSize
	}
	return wire.StatusOK
}

// validateTopic applies the create-time bounds that span keys and the
// partition count (wire.md §3.7), in Iggy's order.
func validateTopic(partitions uint32, o TopicOptions) wire.Status {
	r := o.Resolved()
	if o.Has(OptSegmentSize) && (r.SegmentSize < MinSegmentSize || r.SegmentSize > MaxSegmentSize || r.SegmentSize%512 != 0) {
		return wire.StatusInvalidOptionValue
	}
	if o.Has(OptMessagesRequiredToSave) && (r.MessagesRequiredToSave == 0 || r.MessagesRequiredToSave > MaxMessagesRequiredToSave) {
		return wire.StatusInvalidOptionValue
	}
	if r.SizeOfMessagesRequiredToSave > MaxSizeOfMessagesRequiredToSave ||
		o.Has(OptCompression) && r.Compression != CompressionNone && r.Compression != CompressionGzip {
		return wire.StatusInvalidOptionValue
	}
	if r.PreallocateSegments && r.SegmentSize*uint64(partitions) > MaxPreallocatedTopicBytes {
		return wire.StatusInvalidOptionValue
	}
	if partitions > MaxPartitionsPerRequest {
		return wire.StatusTooManyPartitions
	}
	if o.Has(OptMaxTopicSize) && r.MaxTopicSize < r.SegmentSize {
		return wire.StatusInvalidTopicSize
	}
	return wire.StatusOK
}

// Option scopes of DescribeOptions.
const (
	ScopeTopic  = 1
	ScopeStream = 2
	ScopeUser   = 3
)

// AppendDescribeOptions appends a DescribeOptions reply (wire.md §3.8):
// [count u32] then, per key, [key_len u8][key][kind u8][default_len u32]
// [default][description_len u32][description]. Scope 1 lists the topic
// catalog; scopes 2 and 3 have no keys; any other scope is
// StatusInvalidCommand.
func AppendDescribeOptions(dst []byte, scope uint8) ([]byte, wire.Status) {
	switch scope {
	case ScopeStream, ScopeUser:
		return binary.LittleEndian.AppendUint32(dst, 0), wire.StatusOK
	case ScopeTopic:
	default:
		return dst, wire.StatusInvalidCommand
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(numTopicOptions))
	for opt := range numTopicOptions {
		c := &topicCatalog[opt]
		dst = append(dst, byte(len(c.key)))
		dst = append(dst, c.key...)
		dst = append(dst, byte(c.kind))
		v := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = DefaultTopicOptions.appendValue(dst, opt)
		binary.LittleEndian.PutUint32(dst[v:], uint32(len(dst)-v-4))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.desc)))
		dst = append(dst, c.desc...)
	}
	return dst, wire.StatusOK
}
