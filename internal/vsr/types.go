package vsr

import (
	"errors"
	"strconv"

	"github.com/shoal-io/shoal/internal/wire"
)

// Errors returned by Step. They describe frames that were refused at the
// gateway (S8); stale or redundant but well-formed messages are ignored and
// return nil.
var (
	// ErrInvalidFrame means the frame failed decoding, its seal or identity
	// checksum, or a protocol rule (wrapped with detail).
	ErrInvalidFrame = errors.New("vsr: invalid frame")
	// ErrWrongCluster means the frame names another cluster.
	ErrWrongCluster = errors.New("vsr: frame from another cluster")
	// ErrWrongGroup means the frame names another consensus group.
	ErrWrongGroup = errors.New("vsr: frame for another group")
	// ErrQueueFull means a sessionless group's primary dropped a request:
	// its pipeline and request queue are full. Its proposer retries.
	ErrQueueFull = errors.New("vsr: request queue full")
	// ErrUnknownReplica means the sender index is not a replica of this cluster.
	ErrUnknownReplica = errors.New("vsr: sender is not a replica of this cluster")
	// ErrUnsupported means the command is not handled by the consensus core.
	ErrUnsupported = errors.New("vsr: command not handled by the core")
	// ErrConfig means Config.validate refused the configuration.
	ErrConfig = errors.New("vsr: invalid config")
)

// MaxReplicas bounds the cluster size (acknowledgement sets are bitsets).
const MaxReplicas = 16

// Status is a replica's protocol status (VR Revisited §4).
type Status uint8

const (
	// StatusNormal processes prepares and commits in its view.
	StatusNormal Status = iota
	// StatusViewChange is between StartViewChange and StartView.
	StatusViewChange
	// StatusRecovering follows a restart: the replica probes the current
	// primary with RequestStartView before it acknowledges anything.
	StatusRecovering
)

func (s Status) String() string {
	switch s {
	case StatusNormal:
		return "normal"
	case StatusViewChange:
		return "view-change"
	case StatusRecovering:
		return "recovering"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Bug selects a deliberate protocol bug. It exists only so that the
// simulator's tests can prove its checkers fail; it must be BugNone in any
// real deployment.
type Bug uint8

const (
	// BugNone is correct behaviour.
	BugNone Bug = iota
	// BugCommitWithoutQuorum makes a primary commit every op it has prepared
	// as soon as its own journal write completes, without PrepareOk quorum.
	BugCommitWithoutQuorum
	// BugViewChangeShortestLog makes a new primary adopt the shortest log
	// among the DoViewChange quorum instead of the longest of the newest
	// log_view.
	BugViewChangeShortestLog
	// BugAckBeforePersist makes replicas acknowledge (and a primary count
	// its own acknowledgement for) prepares that are not yet durable.
	BugAckBeforePersist
	// BugTruncateFewNacks makes a primary-elect truncate an op whose body
	// it lacks on replicas - quorum_replication nacks, one too few to prove
	// the op uncommitted.
	BugTruncateFewNacks
	// BugReadWithoutQuorum makes a replica that believes it is the normal
	// primary confirm a read at once, without asking a replication quorum
	// whether it still is (and even after it abdicated): a deposed
	// primary serves stale reads.
	BugReadWithoutQuorum
	// BugReadIndexCommitOnly makes a read's index the primary's commit
	// point alone, without the head its view started with: a new primary
	// serves reads that miss ops the old primary acknowledged.
	BugReadIndexCommitOnly
)

func (b Bug) String() string {
	switch b {
	case BugNone:
		return "none"
	case BugCommitWithoutQuorum:
		return "commit-without-quorum"
	case BugViewChangeShortestLog:
		return "view-change-shortest-log"
	case BugAckBeforePersist:
		return "ack-before-persist"
	case BugTruncateFewNacks:
		return "truncate-few-nacks"
	case BugReadWithoutQuorum:
		return "read-without-quorum"
	case BugReadIndexCommitOnly:
		return "read-index-commit-only"
	}
	return "Bug(" + strconv.Itoa(int(b)) + ")"
}

// StateMachine is the deterministic application a replica applies committed
// operations to. Apply is called once per committed op, in op order, on every
// replica; it must depend only on its previous state and its arguments, and
// must not retain body. The returned bytes are the reply body.
type StateMachine interface {
	Apply(op wire.Op, h *wire.PrepareHeader, body []byte) []byte
}

// Evicter is implemented by a StateMachine that keeps per-session state:
// when a Register finds the client table full and evicts the session whose
// latest reply is oldest, Evicted is called with its client, on every
// replica, while that Register is applied (after its Apply), so the state
// machine can end the session too and stay deterministic.
type Evicter interface {
	Evicted(client wire.ClientID)
}

// Timeouts are in ticks. Zero fields take the defaults (a tick is 10 ms in
// production, as in Iggy and TigerBeetle).
type Timeouts struct {
	Prepare    int // primary: retransmit unacknowledged prepares (default 10)
	Heartbeat  int // primary: send a Commit heartbeat (default 10)
	Backup     int // backup: suspect the primary without a heartbeat (default 60)
	Resend     int // view change: resend StartViewChange/DoViewChange (default 10)
	ViewChange int // view change: escalate to the next view (default 80, backoff ×1..4)
	Probe      int // recovering/lagging: resend RequestStartView (default 20)
	Repair     int // request missing prepares (default 8)
	Abdicate   int // primary: step down without quorum contact (default 80)
	Read       int // primary: fail a read not confirmed and applied in time (default 40)
}

// Config configures a replica.
type Config struct {
	ID       wire.ReplicaID // this replica's index, < Replicas
	Replicas int            // cluster size, 1..MaxReplicas
	Cluster  wire.Uint128   // cluster id stamped on every frame
	Group    uint64         // consensus group (0: wire.MetadataGroup, unless Sessionless)
	// PipelineMax bounds prepared-but-uncommitted ops (default 8). It must
	// leave room for a view-change suffix: PipelineMax+1 <= 128.
	PipelineMax int
	// ClientsMax bounds the client table (default 64); a Register beyond it
	// evicts the client with the oldest latest reply.
	ClientsMax int
	// RequestQueueMax bounds requests the primary holds while its pipeline
	// is full (default 32); beyond it requests are dropped and clients
	// retry (pitfall 18: a pipeline without a queue wedges bursts).
	RequestQueueMax int
	StateMachine    StateMachine
	// Sessionless, if set, makes a group without a client table (a
	// partition's group: Iggy's data plane is at-least-once, a client
	// that retries a send may duplicate it). Every Request other than
	// Register and Logout is prepared in arrival order, its client id and
	// request number only echoed in its reply (the shell matches replies
	// to proposals by them); several may be in flight from one client.
	// Every committed op is applied, and the normal primary emits its
	// reply. Register and Logout are refused (ErrUnsupported).
	Sessionless bool
	// CheckpointInterval, if not 0, makes the replica take a checkpoint
	// (Ready.Checkpoint) whenever it has applied an op that is a multiple
	// of it (or sooner, if it asks: CheckpointAsker); StateMachine must
	// implement Snapshotter. Ops at or below a
	// durable checkpoint leave memory and the journal, and a replica that
	// lags below its peers' checkpoints catches up by state transfer.
	CheckpointInterval uint64
	// ProbeAttempts is how many unanswered RequestStartView probes a
	// recovering replica sends before it runs a view change on its own
	// durable log (after a restart of the whole cluster nobody is settled
	// to answer); 0 means 4.
	ProbeAttempts int
	// CheckpointMax bounds the size of a checkpoint this replica accepts by
	// state transfer, and so the memory a peer can make it hold (default
	// 256 MiB).
	CheckpointMax int
	// TransferChunk bounds the bytes of one StateChunk this replica asks
	// for and serves (default 1 MiB; at most the frame size allows).
	TransferChunk int
	Seed          uint64 // seeds timeout jitter; any value, deterministic
	Timeouts      Timeouts
	Bug           Bug // deliberate bug for simulator tests only
}

func (c *Config) withDefaults() (Config, error) {
	d := *c
	if d.Replicas < 1 || d.Replicas > MaxReplicas || int(d.ID) >= d.Replicas {
		return d, errors.Join(ErrConfig, errors.New("replica id/count out of range"))
	}
	if d.PipelineMax == 0 {
		d.PipelineMax = 8
	}
	if d.PipelineMax < 1 || d.PipelineMax+1 > wire.MaxViewChangeHeaders {
		return d, errors.Join(ErrConfig, errors.New("pipeline depth out of range"))
	}
	if d.ClientsMax == 0 {
		d.ClientsMax = 64
	}
	if d.RequestQueueMax == 0 {
		d.RequestQueueMax = 32
	}
	if d.StateMachine == nil {
		return d, errors.Join(ErrConfig, errors.New("no state machine"))
	}
	if _, ok := d.StateMachine.(Snapshotter); d.CheckpointInterval > 0 && !ok {
		return d, errors.Join(ErrConfig, errors.New("checkpoints need a StateMachine that implements Snapshotter"))
	}
	if d.ProbeAttempts <= 0 {
		d.ProbeAttempts = 4
	}
	if d.CheckpointMax <= 0 {
		d.CheckpointMax = 256 << 20
	}
	if d.TransferChunk <= 0 || d.TransferChunk > wire.DefaultMaxMessageSize-wire.HeaderSize {
		d.TransferChunk = 1 << 20
	}
	if d.Group == 0 && !d.Sessionless {
		// Group 0 is a partition's (stream 0, topic 0, partition 0), and
		// partitions' groups are sessionless.
		d.Group = wire.MetadataGroup
	}
	t := &d.Timeouts
	def := func(v *int, x int) {
		if *v <= 0 {
			*v = x
		}
	}
	def(&t.Prepare, 10)
	def(&t.Heartbeat, 10)
	def(&t.Backup, 60)
	def(&t.Resend, 10)
	def(&t.ViewChange, 80)
	def(&t.Probe, 20)
	def(&t.Repair, 8)
	def(&t.Abdicate, 80)
	def(&t.Read, 40)
	return d, nil
}

// Quorums returns TigerBeetle's flexible quorums for n replicas: replication
// = min(3, ceil(n/2)) (2 when n = 2) and view change = max(n - replication
// + 1, majority), so every view-change quorum intersects every replication
// quorum and every other view-change quorum.
// Reference: TigerBeetle docs/internals/vsr.md "Quorums"; VR Revisited §4.
func Quorums(n int) (replication, viewChange int) {
	replication = min(3, (n+1)/2)
	if n == 2 {
		replication = 2
	}
	return replication, max(n-replication+1, n/2+1)
}

// HardState is what a replica persists in its superblock. A view is never
// forgotten (TigerBeetle PR #455): View and LogView only grow.
//
// Invariant: LogView <= View.
type HardState struct {
	View    wire.View // highest view this replica has joined
	LogView wire.View // view in which the journal's log was last installed
	Commit  wire.Op   // highest op known committed (a hint; never regresses)
	// Headers are the canonical headers installed with LogView (the
	// view-change suffix, at most 128, ascending). Together with the
	// journal they are the log: bodies may still be missing, but a restarted
	// replica must never report a shorter log for LogView than the one it
	// adopted (TigerBeetle keeps these in the superblock as view_headers).
	// The slice is never modified after it is handed out.
	Headers []wire.PrepareHeader
	// Checkpoint is the op of the latest checkpoint (0: none), and
	// CheckpointChecksum its identity checksum. A hard state that names a
	// new checkpoint comes in the Ready that carries it (Ready.Checkpoint),
	// which must be durable before this hard state is.
	Checkpoint         wire.Op
	CheckpointChecksum wire.Uint128
}

// Envelope is a frame for one replica.
type Envelope struct {
	To    wire.ReplicaID
	Frame []byte
}

// ClientFrame is a Reply or Eviction frame for one client.
type ClientFrame struct {
	Client wire.ClientID
	Frame  []byte
}

// Committed describes one op applied to the state machine.
type Committed struct {
	Op        wire.Op
	Checksum  wire.Uint128 // identity checksum of the prepare
	Parent    wire.Uint128
	Client    wire.ClientID
	Request   uint64
	Operation wire.Operation
}

// Ready is the work a replica hands its shell; see the package doc for the
// order in which to carry it out. The slices belong to the caller.
type Ready struct {
	Messages []Envelope    // to replicas; safe to send at once
	Replies  []ClientFrame // to clients; only committed results (S12) and evictions

	Truncate   bool     // delete journal entries above TruncateOp first
	TruncateOp wire.Op  //
	Entries    [][]byte // prepare frames to write, each at its op

	HardStateChanged bool
	HardState        HardState

	// Checkpoint, if not nil, is a checkpoint (the state after op
	// HardState.Checkpoint, with the client table) to make durable before
	// the hard state; then the journal may drop every prepare at or below
	// its op, and RestartFrom takes it back. HardStateChanged is set with
	// it. The bytes are never modified.
	Checkpoint []byte

	Committed []Committed // ops applied since the last Ready, in order

	// Reads are the results of Read calls: an OK read may be served from
	// the state machine as it is now, before any later Step, Tick or
	// Advance. They depend on nothing in this Ready being persisted.
	Reads []ReadResult
}

// IsEmpty reports whether rd carries nothing.
func (rd *Ready) IsEmpty() bool {
	return len(rd.Messages) == 0 && len(rd.Replies) == 0 && !rd.Truncate &&
		len(rd.Entries) == 0 && !rd.HardStateChanged && len(rd.Committed) == 0 && rd.Checkpoint == nil &&
		len(rd.Reads) == 0
}

func errInvalid(err error) error { return errors.Join(ErrInvalidFrame, err) }
