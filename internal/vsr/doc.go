// Package vsr is Shoal's Viewstamped Replication core: a pure, single-threaded
// replica in the style of etcd-io/raft's RawNode. It has no goroutines, no
// clock, no network and no disk. A shell drives it with Tick (one tick of
// virtual or real time), Step (one inbound frame), and the Ready/Advance pair:
//
//  1. Call HasReady; if true, take rd := Ready().
//  2. Send rd.Messages to replicas and rd.Replies to clients. They depend only
//     on state that earlier Advance calls acknowledged as durable, so they may
//     leave before rd is persisted.
//  3. Persist rd in this order: if rd.Checkpoint is set, write it durably;
//     if rd.Truncate is set, delete every journal entry above
//     rd.TruncateOp; write rd.Entries (prepare frames, by op); then write
//     rd.HardState if rd.HardStateChanged; then, if rd.Checkpoint was set,
//     entries at or below rd.HardState.Checkpoint may be dropped.
//  4. Call Advance(rd). Messages that depend on durable state — PrepareOk,
//     DoViewChange, StartView — are created only after that acknowledgement
//     (TigerBeetle's view_durable / log_view_durable rule; invariant S12).
//
// Committed operations are applied to the caller's StateMachine from inside
// Step, Tick or Advance, in op order, on every replica; rd.Committed lists
// them. After a crash, Restart rebuilds a replica from its durable HardState
// and journal and re-applies the committed prefix to a fresh state machine;
// RestartFrom does the same from a durable checkpoint.
//
// # Checkpoints, compaction and state transfer
//
// With Config.CheckpointInterval set (the StateMachine then implements
// Snapshotter), a replica takes a checkpoint each time it has applied an
// op K that is a multiple of the interval: K's prepare header, the client
// table (sessions, watermarks, cached replies: replicated state too) and
// the state machine's Snapshot, encoded deterministically (checkpoint.go).
// The next Ready carries it (rd.Checkpoint) with a hard state that names
// it (HardState.Checkpoint, CheckpointChecksum = K's identity); the shell
// makes the checkpoint durable before that hard state, and may then drop
// every journal entry at or below K. Once Advance acknowledges it, the
// replica drops ops 1..K from memory: its log holds ops base+1..head in
// log[op-base-1], with base = K and K's header kept as baseHdr, so the
// hash chain still starts from a known checksum. Memory, journal and
// restart time are bounded by the interval plus the pipeline, however
// many ops the group has committed.
//
// A replica whose next op to apply is at or below a peer's checkpoint
// cannot be repaired by that peer: it answers RequestPrepares for such
// ops with RangeEvicted (its checkpoint op), and a primary's Commit
// heartbeat advertises its checkpoint (CheckpointOp). The lagging replica
// then pulls the peer's checkpoint in chunks (transfer.go), verifies it,
// installs it (Restore, client table, base, commit_min = K) and repairs
// above it as usual. The transfer holds at most Config.CheckpointMax
// bytes, taken only in order from the chosen peer.
//
// # Linearizable reads (read.go)
//
// Read(id) asks the normal primary to confirm that a read may be served
// from its applied state; the result comes as a ReadResult in a later
// Ready (Raft's ReadIndex, in VSR terms; no disk write). The reads that
// arrive while no round is in flight open one: the primary records the
// read index, max(commit_max, the log head it entered its view with),
// takes a fresh nonce and broadcasts a Commit heartbeat carrying it
// (read_nonce; resent with each heartbeat while the round is open). A
// backup that is in normal status in the same view, with log_view = view,
// and hears the Commit from that view's primary remembers the nonce and
// echoes the newest one it saw in every PrepareOk it sends in that view
// (a Commit is always answered by one); entering any view clears it. When
// a replication quorum, the primary included, has echoed the round's
// nonce in the primary's view while the primary is still its normal
// primary, the round is confirmed, and its reads are released (OK) once
// commit_min reaches the read index. Reads arriving during a round wait
// for the next, so one round trip to the backups serves every read of a
// batch. A read fails at once on a replica that is not the normal primary
// or that gave its view up (StandDown, abdication); later if its round is
// not confirmed and applied within Timeouts.Read ticks, or as soon as its
// primary leaves the view or hears of a newer one.
//
// Why it is safe (invariant S12's reading side: a read reflects every
// operation acknowledged before it began). Let W be acknowledged before
// Read was called on P, the primary of view v; W committed in some view
// v'. If v' < v, W is in every log of a newer view (safety argument 4),
// so it is at or below the head P entered view v with. If v' = v, only P
// commits in v, so W <= P's commit_max at the call. If v' > v: view v'
// started from q_vc DoViewChanges for v', and each sender had moved its
// view to v' (startViewChange) and made it durable (maybeSendDVC) before
// W committed, so before the call, so before the round's nonce existed. A
// replica's view never decreases, in memory or across a restart (the
// durable view, and a restarted replica is recovering, not normal), so
// none of those senders can later be a normal replica of view v echoing
// that nonce, and P itself (checked normal primary of v when the last
// echo arrives) is not one of them either. The confirming set has q_repl
// members and q_repl + q_vc > replicas (Quorums), so the two sets would
// have to meet: v' > v is impossible. Hence the read index covers W, and
// the state applied through it (or any later committed state) contains it.
// The rules that move a replica out of view v do not bend this: a
// backup that hears its own primary give the view up (a StartViewChange
// from it: StandDown, StandDownTo, abdication; onStartViewChange) only
// votes while it stays normal in v, so what it echoes then is still true,
// and it can count toward a newer view only after startViewChange moved
// its view, and from then on it echoes nothing in v; StandDown, StandDownTo
// and abdication fail the primary's own reads at once (safe either way,
// as the argument does not rely on them); a primary that hears of a newer
// view fails its reads. Nonces are unique per (view, primary): a replica
// is the normal primary of a view during one in-memory tenure at most (a
// restarted primary never acts in its old view again), its counter only
// grows, and backups forget nonces on view entry, so an echo of an older
// view's nonce cannot confirm a newer round.
//
// What it costs: per round (not per read), one Commit to each backup and
// one PrepareOk back; nothing is persisted; the read waits for that round
// trip plus, if a round is already open, the rest of that one. The read
// index is the commit point when the round opens, or right after a view
// change the head the view started with (its ops commit with the view's
// first quorum), so a read never waits for a write prepared after it
// arrived. BugReadWithoutQuorum (confirm at once) and
// BugReadIndexCommitOnly (no view head) exist so the simulator shows its
// read checker catches a deposed primary and a new primary's stale read.
//
// Messages are wire frames (internal/wire): 256-byte headers and bodies, sealed
// or identity-stamped exactly as a shell puts them on the wire. Step validates
// every frame before acting on it and never panics on network input; a broken
// internal invariant panics.
//
// The protocol follows VR Revisited (Liskov & Cowling 2012) with TigerBeetle's
// changes: durable view and log_view instead of VRR recovery, hash-chained
// prepares (parent = identity checksum of the previous prepare), flexible
// quorums, star replication, a start-view-change quorum plus primary
// abdication, suffix-carrying DoViewChange/StartView, hash-chain repair, and a
// client table whose sessions are Register ops. A Register that carries a
// body (a login its shell has checked: Iggy binds the session's user with
// it) is also applied to the state machine once the session is open, and
// its output is the reply body; an empty Register is not applied. A
// committed Logout is applied and ends its client's session.
//
// # Safety argument in brief
//
//  1. Every header in a replica's log is canonical for its log_view: it is
//     the op that view log_view's log holds at that number. New headers come
//     only from the primary of the current view, from StartView/merged
//     DoViewChange suffixes, or from repair verified against the hash chain
//     (the identity checksum the next op names as parent, or the one a Commit
//     heartbeat names).
//  2. A backup acknowledges op k only when ops 1..k are durable and log_view
//     = view is durable, and acknowledgements are cumulative; a primary
//     commits k when a replication quorum acknowledged k in its view.
//  3. log_view is persisted together with the adopted suffix headers (Ready
//     HardState.Headers), after any truncation, so a restarted replica
//     reports at least the log it adopted.
//  4. A new primary adopts the longest log of the newest log_view among a
//     view-change quorum (VR Revisited §4.2). An op committed in that
//     log_view was acknowledged by a replication quorum, which intersects the
//     view-change quorum, so the winner holds it; an op committed earlier is
//     in every newer log. Ops below the suffix are committed and repairable.
//  5. A restarted primary never prepares in its old view again: it may have
//     lost prepares its backups hold for that view.
//  6. A checkpoint holds only committed ops: it is taken at commit_min (an
//     applied op) or installed from a peer's, which was taken at that
//     peer's commit_min; an op committed in some view is in the log of
//     every later view (4), so the checkpoint op K and its chain below are
//     canonical for every log_view from then on. Dropping ops <= K loses
//     nothing a view change needs: every rule that reads the log stays
//     above K. commit_min >= K, so repair (which asks for ops above
//     commit_min), truncation (never below commit_min) and the ops a
//     DoViewChange or StartView suffix starts from (its sender's commit
//     point, at or above K) are all at or above the base; K's own header
//     is kept to start a suffix at K and to chain op K+1.
//  7. A suffix from a peer may start below this replica's checkpoint (the
//     peer's commit is lower): adoptLog drops its headers at or below K
//     (committed, and applied here through the checkpoint), after checking
//     that a header at K is K's own. A DoViewChange whose log starts above
//     another member's commit still merges as before: the winner (newest
//     log_view, longest) holds every committed op, its suffix starts at its
//     own commit point, and members whose commit is lower repair the ops
//     between, or, if every peer has compacted them, install a checkpoint
//     by state transfer first; a primary-elect does the same before it
//     starts the view (maybeStartView waits for every body above
//     commit_min).
//  8. An installed checkpoint K is committed, so it is in every log of a
//     log_view at least as new as the view that committed it. Slots above K
//     that chain to it are canonical and stay; if this log holds another op
//     at K or K+1, its log_view is older than K's commit, none of its ops
//     above K can be committed, and they are truncated (a normal primary or
//     a primary-elect that merged refuses such a checkpoint instead: it
//     already holds every committed op). Until the installed checkpoint is
//     durable (Advance of the Ready that carries it) the replica sends no
//     PrepareOk and counts no own acknowledgement: a crash before that
//     would restart it from its older checkpoint with a gap below K, and
//     its DoViewChange could then report less than it had acknowledged.
//  9. Nack truncation (TigerBeetle's quorum_nack_prepare, Protocol-Aware
//     Recovery's CTRL). An uncommitted op may survive a view change as a
//     header whose body no replica holds (an old primary prepared it, its
//     frames were lost, it crashed before the op was durable, but its
//     header reached a DoViewChange). Waiting for that body would stall
//     every view, so a DoViewChange sets nack bit i for a suffix header
//     above its commit point when its sender holds no body for that op (and
//     did not acknowledge it in its last normal view). The primary-elect,
//     after the merge, truncates the lowest op above the commit point whose
//     body it lacks, and everything above it, once more than replicas -
//     quorum_replication DoViewChanges of this view nack it, its own
//     included; otherwise it keeps waiting for repair, and late
//     DoViewChanges are counted as they arrive. A DoViewChange counts only
//     if its suffix holds the op with the merged log's checksum, whatever
//     its log_view (each primary-elect's merge gives it a log_view of its
//     own, so a stalled op is typically held by replicas with different
//     log_views); one that lacks the op or holds another header abstains.
//     The cut view headers are durable before StartView announces them.
//     Safety: an op commits only when a replication quorum acknowledged it
//     (the primary's own durable write included), and an acknowledgement
//     needs a durable body that the replica keeps while the op stays in its
//     log above its commit point (adoptLog keeps matching bodies; an op it
//     drops below the adopted suffix is at or below the new commit point).
//     So no member of that quorum nacks the op, at most replicas -
//     quorum_replication replicas can, and more nacks prove it uncommitted;
//     every op above it is uncommitted too, as acknowledgements are
//     cumulative and the log is hash-chained. Where the premise bends: a
//     replica drops the bodies below a suffix it adopts, and a crash that
//     tears that write (truncation durable, new view headers not) or a
//     later restart with a low commit hint can leave it with the header
//     of an op it acknowledged but no body, and it will nack it (the
//     journal has no "faulty" marks as TigerBeetle's has). Such an op is
//     below the adopted log's commit point, so a replication quorum that
//     acknowledged that point holds it, and the dropping replica (which
//     had a gap there) is not in it: one such replica cannot reach the
//     threshold; several at once are not ruled out by this argument.
//
// Goroutines: none. A Replica is not safe for concurrent use; one owner calls
// every method. Imports: the standard library (no time, net, os) and
// internal/wire only; imports_test.go checks this.
package vsr
