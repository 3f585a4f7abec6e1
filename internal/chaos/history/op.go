package history

import (
	"fmt"
	"math"
	"strings"
)

// Infinity is the return time given to Unknown operations by the checkers.
const Infinity int64 = math.MaxInt64

// Kind is an operation type. Each kind documents the Args it reads and the
// Reply fields it fills.
type Kind uint8

const (
	// Produce appends Args.Messages to Args.Partition; Reply.Offset is the
	// base offset of the batch.
	Produce Kind = iota + 1
	// Poll reads up to Args.Count messages of Args.Partition from
	// Args.Offset; Reply.Messages holds them. The model is strict: a poll
	// returns every message in the range that exists when it takes effect.
	Poll
	// StoreOffset stores Args.Offset for (Args.Consumer, Args.Partition).
	StoreOffset
	// GetOffset reads the offset of (Args.Consumer, Args.Partition):
	// Reply.Found and Reply.Offset.
	GetOffset
	// CreateStream creates stream Args.Partition.Stream; Reply.Code is OK or
	// Exists.
	CreateStream
	// DeleteStream deletes stream Args.Partition.Stream and its topics;
	// Reply.Code is OK or NotFound.
	DeleteStream
	// CreateTopic creates topic Args.Partition.Topic in stream
	// Args.Partition.Stream; Reply.Code is OK, Exists, or NotFound (no such
	// stream).
	CreateTopic
	// DeleteTopic deletes topic Args.Partition.Topic of stream
	// Args.Partition.Stream; Reply.Code is OK or NotFound.
	DeleteTopic
	// GetStream reads stream Args.Partition.Stream: Reply.Found, and its
	// topic names in Reply.Names, sorted.
	GetStream
	// ListStreams reads every stream name into Reply.Names, sorted.
	ListStreams
	// RenameStream renames stream Args.Partition.Stream to Args.Name (it
	// keeps its topics); Reply.Code is OK, NotFound (no such stream,
	// checked first) or Exists (Args.Name is taken).
	RenameStream
	// CreateUser creates user Args.Name; Reply.Code is OK or Exists. Users
	// and streams are separate namespaces.
	CreateUser
)

var kindNames = [...]string{
	Produce: "produce", Poll: "poll", StoreOffset: "store-offset", GetOffset: "get-offset",
	CreateStream: "create-stream", DeleteStream: "delete-stream", CreateTopic: "create-topic",
	DeleteTopic: "delete-topic", GetStream: "get-stream", ListStreams: "list-streams",
	RenameStream: "rename-stream", CreateUser: "create-user",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Result is what a client learned about an operation.
type Result uint8

const (
	// Pending: the operation has not returned yet. Ops reports it as
	// Unknown.
	Pending Result = iota
	// Ok: the operation took effect and Reply holds its result (which may
	// be a refusal with a Code, such as Exists).
	Ok
	// Failed: the operation certainly did not take effect (refused before
	// it was sent, or rejected by a server that did not apply it).
	Failed
	// Unknown: the operation may or may not have taken effect, at any time
	// after its invocation (a timeout, a connection lost after the send).
	Unknown
)

func (r Result) String() string {
	switch r {
	case Pending:
		return "pending"
	case Ok:
		return "ok"
	case Failed:
		return "failed"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Result(%d)", uint8(r))
}

// Code is the outcome of a metadata operation that took effect.
type Code uint8

const (
	// OK: the operation changed the metadata (or, for reads, succeeded).
	OK Code = iota
	// Exists: a create found the name taken and changed nothing.
	Exists
	// NotFound: the name (or its stream) does not exist; nothing changed.
	NotFound
)

func (c Code) String() string {
	switch c {
	case OK:
		return "ok"
	case Exists:
		return "exists"
	case NotFound:
		return "not-found"
	}
	return fmt.Sprintf("Code(%d)", uint8(c))
}

// Partition names a partition; metadata operations use only Stream and
// Topic.
type Partition struct {
	Stream string
	Topic  string
	ID     uint32
}

func (p Partition) String() string { return fmt.Sprintf("%s/%s/%d", p.Stream, p.Topic, p.ID) }

// Args are an operation's arguments; which fields count depends on Kind.
type Args struct {
	Partition Partition
	Consumer  string   // StoreOffset, GetOffset
	Offset    uint64   // Poll: first offset; StoreOffset: the value stored
	Count     int      // Poll: at most this many messages
	Messages  []string // Produce: the payloads, unique in the history
	Name      string   // RenameStream: the new name; CreateUser: the username
}

// Reply is an operation's result; which fields count depends on Kind.
type Reply struct {
	Offset   uint64   // Produce: base offset; GetOffset: the stored offset
	Found    bool     // GetOffset, GetStream
	Messages []string // Poll
	Names    []string // GetStream: topics; ListStreams: streams; sorted
	Code     Code     // CreateStream, DeleteStream, CreateTopic, DeleteTopic, RenameStream, CreateUser
}

// Op is one recorded operation.
type Op struct {
	ID     int   // its index in the history
	Client int   // the client that ran it, from 0
	Kind   Kind  //
	Args   Args  //
	Call   int64 // invocation time
	Return int64 // return time (for Unknown, when the client gave up)
	Result Result
	Reply  Reply  // when Result is Ok
	Err    string // when Result is Failed or Unknown: why
}

func (o *Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d c%d %s", o.ID, o.Client, o.Kind)
	a, r := &o.Args, &o.Reply
	switch o.Kind {
	case Produce:
		fmt.Fprintf(&b, " %s %q", a.Partition, a.Messages)
	case Poll:
		fmt.Fprintf(&b, " %s @%d n%d", a.Partition, a.Offset, a.Count)
	case StoreOffset:
		fmt.Fprintf(&b, " %s %s =%d", a.Consumer, a.Partition, a.Offset)
	case GetOffset:
		fmt.Fprintf(&b, " %s %s", a.Consumer, a.Partition)
	case CreateTopic, DeleteTopic:
		fmt.Fprintf(&b, " %s/%s", a.Partition.Stream, a.Partition.Topic)
	case CreateStream, DeleteStream, GetStream:
		fmt.Fprintf(&b, " %s", a.Partition.Stream)
	case RenameStream:
		fmt.Fprintf(&b, " %s→%s", a.Partition.Stream, a.Name)
	case CreateUser:
		fmt.Fprintf(&b, " %s", a.Name)
	}
	if o.Result != Ok {
		fmt.Fprintf(&b, " -> %s", o.Result)
		if o.Err != "" {
			fmt.Fprintf(&b, " (%s)", o.Err)
		}
		return b.String()
	}
	switch o.Kind {
	case Produce:
		fmt.Fprintf(&b, " -> @%d", r.Offset)
	case Poll:
		fmt.Fprintf(&b, " -> %q", r.Messages)
	case GetOffset:
		if r.Found {
			fmt.Fprintf(&b, " -> %d", r.Offset)
		} else {
			b.WriteString(" -> none")
		}
	case GetStream:
		if r.Found {
			fmt.Fprintf(&b, " -> %q", r.Names)
		} else {
			b.WriteString(" -> none")
		}
	case ListStreams:
		fmt.Fprintf(&b, " -> %q", r.Names)
	case StoreOffset:
		b.WriteString(" -> ok")
	default:
		fmt.Fprintf(&b, " -> %s", r.Code)
	}
	return b.String()
}
