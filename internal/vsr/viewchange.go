package vsr

import (
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// suspect records that this replica wants a new view: its primary went
// silent, its view change stalled, or its recovery probes went unanswered.
// It votes for the next view (or a higher candidate already seen) but moves
// only when a view-change quorum agrees, so one cut-off replica cannot
// disturb a healthy cluster. Reference: VR Revisited §4.2 step 1;
// TigerBeetle start_view_change quorum (PR #476).
func (r *Replica) suspect() {
	target := max(r.view+1, r.svcView)
	if r.svcView != target {
		r.svcView, r.svcVotes = target, 0
	}
	r.suspecting = true
	r.svcVotes |= 1 << r.self
	r.broadcastSVC(target)
	r.start(tResend, r.cfg.Timeouts.Resend)
	r.checkSVC()
}

func (r *Replica) broadcastSVC(v wire.View) {
	h := wire.StartViewChangeHeader{Prefix: r.prefix(wire.HeaderSize), Group: r.cfg.Group}
	h.View = v
	r.broadcast(sealed(&h, wire.HeaderSize, nil))
}

// onStartViewChange counts a vote for view v.
func (r *Replica) onStartViewChange(from wire.ReplicaID, v wire.View) {
	if v <= r.view {
		if v == r.view {
			r.helpStale(from)
		}
		return
	}
	if v > r.svcView {
		r.svcView, r.svcVotes = v, 0
		if r.suspecting {
			r.svcVotes |= 1 << r.self
		}
	}
	if r.status == StatusNormal && !r.suspecting && from == r.Primary() && from != r.self {
		// Our own primary gave up its view (StandDown, StandDownTo or
		// abdication): there is nobody left to wait for.
		r.suspect()
		return
	}
	if v == r.svcView {
		r.svcVotes |= 1 << from
	}
	r.checkSVC()
}

func (r *Replica) checkSVC() {
	votes := r.svcVotes
	if !r.suspecting {
		votes &^= 1 << r.self
	}
	if r.svcView > r.view && popcount(votes) >= r.qVC {
		r.startViewChange(r.svcView)
	}
}

// startViewChange moves to view-change status in view v. The view must be
// durable before this replica sends its DoViewChange (TigerBeetle
// view_durable): a DoViewChange promises never to act in an older view.
func (r *Replica) startViewChange(v wire.View) {
	r.view = v
	r.status = StatusViewChange
	r.hsDirty = true
	r.timers = [numTimers]timer{}
	r.svcView, r.svcVotes, r.suspecting, r.standDown = v, 0, false, false
	r.dvcs = [MaxReplicas]*dvc{}
	r.dvcFrame, r.merged = nil, false
	r.hint.op = 0
	r.queue = nil
	r.failReads()
	r.broadcastSVC(v)
	r.start(tResend, r.cfg.Timeouts.Resend)
	r.startJitter(tViewChange, r.cfg.Timeouts.ViewChange*min(1+r.vcAttempt, 4))
	r.start(tRepair, r.cfg.Timeouts.Repair)
	r.maybeSendDVC()
}

func (r *Replica) onResendTimeout() {
	switch {
	case r.status == StatusViewChange:
		r.broadcastSVC(r.view)
		if r.dvcFrame != nil && r.Primary() != r.self {
			r.send(r.Primary(), r.dvcFrame)
		}
	case r.suspecting:
		r.broadcastSVC(r.svcView)
	default:
		return
	}
	r.start(tResend, r.cfg.Timeouts.Resend)
}

// maybeSendDVC sends (or, as primary-elect, records) this replica's
// DoViewChange once the view is durable. The frame is built once per view
// and resent verbatim.
func (r *Replica) maybeSendDVC() {
	if r.status != StatusViewChange || r.durView != r.view || r.durLogView != r.logView {
		return
	}
	if r.dvcFrame == nil {
		r.dvcFrame = r.buildDVC()
		if r.Primary() == r.self {
			var h wire.DoViewChangeHeader
			_ = h.Decode(r.dvcFrame)
			hs, err := decodeHeaders(r.dvcFrame[wire.HeaderSize:])
			if err != nil {
				panic("vsr: own DoViewChange does not decode: " + err.Error())
			}
			r.dvcs[r.self] = newDVC(&h, hs)
		} else {
			r.send(r.Primary(), r.dvcFrame)
		}
	}
	r.maybeMerge()
}

// buildDVC encodes this replica's log suffix. commit is the highest op
// known committed whose header is here; op is the end of the contiguous run
// of headers above it, so op covers every op this replica ever acknowledged
// (acknowledgements are cumulative over durable, contiguous ops). The body
// carries the headers op down to commit (at most 128), highest first
// (Iggy @HEAD layout). Present bit i says the body of header i is here.
// Nack bit i says this replica never acknowledged header i and never will
// in an older view: it holds no body for it (an acknowledgement needs a
// durable body, which stays while the op is canonical above the commit
// point) and did not acknowledge it in its last normal view (ackSent, a
// belt-and-braces check: such an op has a body here); only ops above
// commit are nacked. See truncateNacked for how the primary-elect counts
// them. Reference: VR Revisited §5.3; TigerBeetle send_join_view (nack
// case 1: no prepare, not faulty).
func (r *Replica) buildDVC() []byte {
	c := min(r.commitMax, r.head())
	// c's header may be missing only where the log resumes right above it
	// (a restart that lost entries below its view headers): the suffix then
	// starts at c+1. A DoViewChange must never end below an op this log
	// holds above its commit point, or a quorum could adopt a log that
	// lacks ops committed in an older view.
	for c > r.base && !r.slot(c).present && !r.slot(c+1).presentOK() {
		c--
	}
	from := max(c, 1)
	if c > r.base && !r.slot(c).present {
		from = c + 1
	}
	op := c
	for op < r.head() && r.slot(op+1).present {
		if prev := r.slot(op); prev != nil && prev.present && prev.h.Checksum != r.slot(op+1).h.Parent {
			break // only after a torn write on restart; see Restart
		}
		op++
	}
	if op >= from && op-from+1 > wire.MaxViewChangeHeaders {
		from = op - wire.MaxViewChangeHeaders + 1
	}
	var body []byte
	var present, nack wire.Uint128
	if op >= 1 {
		body = r.headersBody(from, op)
		for i := from; i <= op; i++ {
			bit := uint(op - i) // body header 0 is the highest op
			switch s := r.slot(i); {
			case s != nil && s.frame != nil:
				setBit(&present, bit)
			case i > c && i > r.ackSent:
				setBit(&nack, bit)
			}
		}
	}
	h := wire.DoViewChangeHeader{Prefix: r.prefix(wire.HeaderSize + len(body)), Op: op, Commit: c,
		Group: r.cfg.Group, LogView: r.logView, PresentBitset: present, NackBitset: nack}
	return sealed(&h, wire.HeaderSize+len(body), body)
}

// onDoViewChange collects DoViewChanges as primary-elect.
func (r *Replica) onDoViewChange(from wire.ReplicaID, h *wire.DoViewChangeHeader, hs []wire.PrepareHeader) {
	switch {
	case h.View > r.view:
		// A view-change quorum already formed for h.View; join it.
		r.startViewChange(h.View)
	case h.View == r.view && r.status == StatusRecovering:
		r.rejoin()
	}
	if h.View != r.view || r.Primary() != r.self {
		return
	}
	if r.status == StatusNormal {
		r.sendStartView(from, wire.Uint128{})
		return
	}
	if r.status != StatusViewChange || r.dvcs[from] != nil {
		return
	}
	r.dvcs[from] = newDVC(h, hs)
	r.maybeMerge()
}

func newDVC(h *wire.DoViewChangeHeader, hs []wire.PrepareHeader) *dvc {
	return &dvc{logView: h.LogView, op: h.Op, commit: h.Commit, headers: hs, nack: h.NackBitset}
}

// maybeMerge adopts the quorum's log once q_vc DoViewChanges (ours included)
// are in: the longest log of the newest log_view. Every op a replication
// quorum acknowledged in that log_view is in it, because the view-change and
// replication quorums intersect and acknowledgements are cumulative; every op
// committed in an older view is in every log of a newer log_view. So no op
// that may have committed is dropped. commit is the highest any member knew.
// Reference: VR Revisited §4.2 step 3; TigerBeetle JVQuorum (canonical =
// max log_view).
func (r *Replica) maybeMerge() {
	if r.merged {
		r.maybeStartView() // a late DoViewChange may complete a nack quorum
		return
	}
	if r.dvcs[r.self] == nil {
		return
	}
	var best *dvc
	n := 0
	var commit wire.Op
	for i := 0; i < r.cfg.Replicas; i++ {
		d := r.dvcs[i]
		if d == nil {
			continue
		}
		n++
		commit = max(commit, d.commit)
		switch {
		case best == nil || d.logView > best.logView:
			best = d
		case d.logView == best.logView:
			if r.cfg.Bug == BugViewChangeShortestLog {
				if d.op < best.op {
					best = d
				}
			} else if d.op > best.op {
				best = d
			}
		}
	}
	if n < r.qVC {
		return
	}
	if !r.adoptLog(best.headers, best.op, min(commit, best.op)) {
		return // a member's log contradicts our applied ops; wait for escalation
	}
	r.merged = true
	r.logView = r.view
	r.hsDirty = true
	r.maybeStartView()
}

// maybeStartView completes the view change on the primary-elect: once the
// merged log_view is durable and every uncommitted body is here (repair runs
// meanwhile; ops that a nack quorum proves uncommitted are truncated
// instead, see truncateNacked), it applies the committed prefix, enters
// normal status, sends StartView with the suffix, and re-prepares the
// uncommitted ops.
func (r *Replica) maybeStartView() {
	if r.status != StatusViewChange || !r.merged || r.Primary() != r.self {
		return
	}
	r.truncateNacked()
	// The view headers, cut or not, must be durable with log_view before
	// StartView announces them: a restarted primary-elect must never report
	// ops for this log_view that its backups' logs lack.
	if r.durView != r.view || r.durLogView != r.view || !sameHeaders(r.durHeaders, r.viewHeaders) {
		return
	}
	for op := r.commitMin + 1; op <= r.head(); op++ {
		if s := r.slot(op); !s.present || s.frame == nil {
			return
		}
	}
	r.applyCommitted()
	if h, ok := r.header(r.head()); ok {
		r.timestamp = max(r.timestamp, h.Timestamp)
	}
	r.enterNormal()
	for i := 0; i < r.cfg.Replicas; i++ {
		if wire.ReplicaID(i) != r.self {
			r.sendStartView(wire.ReplicaID(i), wire.Uint128{})
		}
	}
	r.retransmit()
	r.primaryCommit()
}

// sendStartView sends the current view's log suffix (commit..op) to one
// replica.
func (r *Replica) sendStartView(to wire.ReplicaID, incarnation wire.Uint128) {
	head := r.head()
	var body []byte
	if head > 0 {
		// At most 128 headers; a backup repairs anything below them from
		// this primary, which holds every op of the view.
		from := max(r.commitMax, 1)
		if head-from+1 > wire.MaxViewChangeHeaders {
			from = head - wire.MaxViewChangeHeaders + 1
		}
		body = r.headersBody(from, head)
	}
	h := wire.StartViewHeader{Prefix: r.prefix(wire.HeaderSize + len(body)), Op: head, Commit: r.commitMax,
		Group: r.cfg.Group, Incarnation: incarnation}
	r.send(to, sealed(&h, wire.HeaderSize+len(body), body))
}

// onStartView installs a view from its primary. Reference: VR Revisited
// §4.2 step 4.
func (r *Replica) onStartView(from wire.ReplicaID, h *wire.StartViewHeader, hs []wire.PrepareHeader) {
	if from != r.primaryOf(h.View) {
		return
	}
	if h.View < r.view || (h.View == r.view && r.status == StatusNormal) {
		return
	}
	if !r.adoptLog(hs, h.Op, h.Commit) {
		return
	}
	r.view, r.logView = h.View, h.View
	r.hsDirty = true
	r.enterNormal()
	r.applyCommitted()
}

// onRequestStartView answers a recovering or lagging replica if this
// replica is the normal primary of a view at least as new.
func (r *Replica) onRequestStartView(from wire.ReplicaID, h *wire.RequestStartViewHeader) {
	if r.status == StatusNormal && r.IsPrimary() && h.View <= r.view {
		r.sendStartView(from, h.Incarnation)
	}
}

// probe broadcasts RequestStartView (recovering status).
func (r *Replica) probe() {
	if r.cfg.Replicas == 1 {
		r.rejoin() // nobody to ask
		return
	}
	h := wire.RequestStartViewHeader{Prefix: r.prefix(wire.HeaderSize), Group: r.cfg.Group, Incarnation: r.nonce}
	r.broadcast(sealed(&h, wire.HeaderSize, nil))
	r.start(tProbe, r.cfg.Timeouts.Probe)
}

func (r *Replica) onProbeTimeout() {
	if r.status != StatusRecovering {
		return
	}
	r.probes++
	if r.probes >= r.cfg.ProbeAttempts {
		// Nobody answers: the whole cluster may have restarted, or this
		// replica durably joined a view the others never reached. Its
		// durable view, log_view, view headers and journal make it safe to
		// run a view change; the DoViewChange to that view's primary pulls
		// the others in.
		r.rejoin()
		return
	}
	r.probe()
}

// rejoin starts a view change from recovering status: for the durable view,
// unless this replica is its primary. A restarted primary may have lost
// prepares that backups still hold for that view, so it must never prepare
// in it again (Iggy ceded_primaryship); it moves to the next view.
func (r *Replica) rejoin() {
	if r.primaryOf(r.view) == r.self {
		r.startViewChange(r.view + 1)
		return
	}
	r.startViewChange(r.view)
}

// adoptLog makes the log equal to the log of the view being installed,
// given its canonical headers hs (ascending, contiguous, ending at head).
// Ops at or below F (committed and held here) are kept; ops above F that
// chain to hs[0] are kept; everything from the first disagreement up is
// truncated, in memory and (through Ready) in the journal, before the new
// log_view is persisted. Missing headers and bodies are repaired.
//
// It returns false, changing nothing, if the new log would drop an op this
// replica already applied: only a faulty peer can send that, and network
// input must never trip an internal assertion (pitfall 14).
func (r *Replica) adoptLog(hs []wire.PrepareHeader, head, commit wire.Op) bool {
	hs, ok := r.aboveCheckpoint(hs)
	if !ok {
		return false
	}
	if len(hs) == 0 {
		if head < r.commitMin {
			return false
		}
		r.adopted(hs)
		r.truncateTo(head)
		return true
	}
	base := hs[0].Op
	F := max(r.commitMin, min(r.commitMax, base-1, r.head()))
	keep := r.head()
	want := hs[0].Parent
	for op := base - 1; op > F; op-- {
		s := r.slot(op)
		if s == nil || !s.present || s.h.Checksum != want {
			keep = F
			break
		}
		want = s.h.Parent
	}
	cut := head
	for i := range hs {
		s := r.slot(hs[i].Op)
		if s == nil {
			break
		}
		if s.present && s.h.Checksum != hs[i].Checksum {
			cut = hs[i].Op - 1
			break
		}
	}
	if min(keep, cut) < r.commitMin {
		return false
	}
	r.adopted(hs)
	// Keep bodies we already hold for ops that stay in the log.
	var old []slot
	if lo := int(base-r.base) - 1; lo < len(r.log) {
		old = append(old, r.log[lo:min(len(r.log), int(head-r.base))]...)
	}
	r.truncateTo(min(keep, cut))
	for i := range hs {
		s := r.grow(hs[i].Op)
		if s.present {
			continue
		}
		*s = slot{h: hs[i], present: true}
		if j := i; j < len(old) && old[j].present && old[j].frame != nil && old[j].h.Checksum == hs[i].Checksum {
			s.frame = old[j].frame
			r.dirty = true
		}
	}
	r.commitMax = max(r.commitMax, commit)
	return true
}

// adopted records the headers of a newly installed log as view headers.
func (r *Replica) adopted(hs []wire.PrepareHeader) {
	clear(r.stash)
	r.hint.op = 0
	r.viewHeaders = slices.Clone(hs)
	r.hsDirty = true
}

// truncateNacked is the primary-elect's answer to an uncommitted op whose
// body nobody can supply (an old primary prepared it, its frames were lost,
// it crashed before the op was durable, but its header reached a
// DoViewChange): the op cannot be committed, so waiting for it would stall
// every view. After the merge it cuts the log below the lowest op above
// the commit point (and above the first view header, which must stay the
// head's anchor) whose body is not here and that more than replicas -
// quorum_replication DoViewChanges nack (buildDVC). Only a DoViewChange
// whose suffix holds that op with the merged log's checksum counts; one
// that lacks the op or holds another header abstains. Our own
// DoViewChange counts like the others.
//
// Safety: an op commits only when a replication quorum acknowledged it
// (the primary's own durable write included), and an acknowledging replica
// keeps the body, so none of them nacks it: at most replicas -
// quorum_replication nacks can name a committed op. Every op above a
// nacked one is uncommitted too (acknowledgements are cumulative and the
// log is hash-chained). Reference: TigerBeetle JVQuorum.quorum_headers
// (quorum_nack_prepare); Protocol-Aware Recovery's CTRL truncation.
func (r *Replica) truncateNacked() {
	if len(r.viewHeaders) == 0 {
		return
	}
	base := r.viewHeaders[0].Op
	for op := max(r.commitMax, base) + 1; op <= r.head(); op++ {
		s := r.slot(op)
		if !s.present || s.frame != nil || !r.nackQuorum(r.nacks(op, s.h.Checksum)) {
			continue
		}
		r.truncateTo(op - 1)
		r.viewHeaders = r.viewHeaders[: op-base : op-base] // a shorter slice: the longer one is handed out
		r.hsDirty = true
		return
	}
}

// nacks counts the DoViewChanges of this view that nack op with identity
// sum.
func (r *Replica) nacks(op wire.Op, sum wire.Uint128) int {
	n := 0
	for _, d := range r.dvcs[:r.cfg.Replicas] {
		if d == nil || len(d.headers) == 0 || op < d.headers[0].Op || op > d.op {
			continue
		}
		if d.headers[op-d.headers[0].Op].Checksum == sum && hasBit(d.nack, uint(d.op-op)) {
			n++
		}
	}
	return n
}

// nackQuorum reports whether n nacks prove an op uncommitted: a
// replication quorum that acknowledged it would leave at most replicas -
// quorum_replication replicas to nack (TigerBeetle quorum_nack_prepare).
func (r *Replica) nackQuorum(n int) bool {
	if r.cfg.Bug == BugTruncateFewNacks {
		return n >= r.cfg.Replicas-r.qRepl
	}
	return n > r.cfg.Replicas-r.qRepl
}

// sameHeaders reports whether a and b are the same slice (view header
// slices are never modified once handed out, so identity is equality).
func sameHeaders(a, b []wire.PrepareHeader) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// setBit sets bit i of a DoViewChange bitset; bit i is body header i.
func setBit(b *wire.Uint128, i uint) {
	if i < 64 {
		b.Lo |= 1 << i
	} else {
		b.Hi |= 1 << (i - 64)
	}
}

func hasBit(b wire.Uint128, i uint) bool {
	if i < 64 {
		return b.Lo>>i&1 == 1
	}
	return b.Hi>>(i-64)&1 == 1
}
