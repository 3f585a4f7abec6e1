package metadata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/shoal-io/shoal/internal/wire"
)

// Snapshot encoding: the whole State as bytes, for a checkpoint of the
// metadata consensus group (internal/vsr checkpoints, issue #14). It is
// deterministic: the same State gives the same bytes on every replica
// (maps are written in ascending key order), so replicas' snapshots of
// one op are byte-identical. Every integer is little-endian; str8,
// bytes32 and PasswordHash are the operation primitives (package doc):
//
//	magic "SHOALMDS" (8 bytes), version u32 = 1
//	applied u64, at u64 (the consensus op), next_user_id u32
//	users u32, each:     id u32, created_at u64, status u8, username str8,
//	                     password PasswordHash, permissions bytes32
//	sessions u32, each:  client u128, epoch u64, user_id u32, registered_at u64
//	next_shard u64, streams u32, each:
//	                     id u32, created_at u64, name str8, topics u32, each:
//	                     id u32, created_at u64, name str8, options (as in
//	                     CreateTopic), partitions u32 × (id u32, created_at
//	                     u64, shard u32), next_group u32, groups u32, each:
//	                     members u32, id u32, name str8, generation u64,
//	                     members × (id u32, client u128, partitions u32 × u32)
//	tokens u32, each:    user_id u32, name str8, sha256 32 bytes, expiry_at u64
//
// Users, sessions, streams, topics, groups and tokens are in ascending id
// (client, user then name) order; members and partitions in the order the
// state holds them. DecodeSnapshot refuses trailing bytes. This layout is
// part of the disk and replication format and must not be changed; a new
// layout gets a new SnapshotVersion.
const (
	SnapshotMagic   = "SHOALMDS"
	SnapshotVersion = 1
)

// ErrSnapshot marks bytes that are not a valid snapshot.
var ErrSnapshot = errors.New("metadata: malformed snapshot")

// AppendSnapshot appends the snapshot encoding of s to b.
func (s *State) AppendSnapshot(b []byte) []byte {
	b = append(b, SnapshotMagic...)
	b = binary.LittleEndian.AppendUint32(b, SnapshotVersion)
	b = binary.LittleEndian.AppendUint64(b, s.applied)
	b = binary.LittleEndian.AppendUint64(b, s.at)
	b = binary.LittleEndian.AppendUint32(b, s.nextUserID)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.users)))
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		u := s.users[id]
		b = binary.LittleEndian.AppendUint32(b, u.ID)
		b = binary.LittleEndian.AppendUint64(b, u.CreatedAt)
		b = append(b, byte(u.Status))
		b = appendStr8(b, u.Username)
		b = appendHash(b, u.Password)
		b = appendBytes32(b, u.Permissions)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.sessions)))
	for _, c := range slices.SortedFunc(maps.Keys(s.sessions), cmpClient) {
		e := s.sessions[c]
		b = appendClient(b, e.Client)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Epoch))
		b = binary.LittleEndian.AppendUint32(b, e.UserID)
		b = binary.LittleEndian.AppendUint64(b, e.RegisteredAt)
	}
	b = s.appendStreamsSnapshot(b)
	var toks []*AccessToken
	for _, user := range slices.Sorted(maps.Keys(s.tokens.byUser)) {
		m := s.tokens.byUser[user]
		for _, name := range slices.Sorted(maps.Keys(m)) {
			toks = append(toks, m[name])
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(toks)))
	for _, t := range toks {
		b = binary.LittleEndian.AppendUint32(b, t.UserID)
		b = appendStr8(b, t.Name)
		b = append(b, t.Hash[:]...)
		b = binary.LittleEndian.AppendUint64(b, t.ExpiryAt)
	}
	return b
}

func (s *State) appendStreamsSnapshot(b []byte) []byte {
	t := &s.streams
	b = binary.LittleEndian.AppendUint64(b, t.nextShard)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(t.streams)))
	for _, sid := range slices.Sorted(maps.Keys(t.streams)) {
		st := t.streams[sid]
		b = binary.LittleEndian.AppendUint32(b, st.ID)
		b = binary.LittleEndian.AppendUint64(b, st.CreatedAt)
		b = appendStr8(b, st.Name)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(st.topics)))
		for _, tid := range slices.Sorted(maps.Keys(st.topics)) {
			tp := st.topics[tid]
			b = binary.LittleEndian.AppendUint32(b, tp.ID)
			b = binary.LittleEndian.AppendUint64(b, tp.CreatedAt)
			b = appendStr8(b, tp.Name)
			b = tp.Options.appendOp(b)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(tp.Partitions)))
			for _, p := range tp.Partitions {
				b = binary.LittleEndian.AppendUint32(b, p.ID)
				b = binary.LittleEndian.AppendUint64(b, p.CreatedAt)
				b = binary.LittleEndian.AppendUint32(b, p.Shard)
			}
			b = binary.LittleEndian.AppendUint32(b, tp.nextGroup)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(tp.groups)))
			for _, gid := range slices.Sorted(maps.Keys(tp.groups)) {
				g := tp.groups[gid]
				b = binary.LittleEndian.AppendUint32(b, uint32(len(g.Members)))
				b = g.appendDigest(b)
			}
		}
	}
	return b
}

// count reads a u32 element count, refusing one that cannot fit in the
// remaining bytes (each element takes at least min bytes), so a damaged
// count never makes the decoder allocate more than the input's size.
func (d *decoder) count(min int) int {
	n := int(d.u32())
	if d.err == nil && n*min > len(d.b) {
		d.fail("count %d of %d-byte elements in %d bytes", n, min, len(d.b))
		return 0
	}
	return n
}

// DecodeSnapshot decodes a snapshot made by AppendSnapshot into a new
// State. It checks the structure (counts, lengths, duplicate ids and
// names) but trusts the values: a snapshot comes from a replica of the
// same group, through a checksummed checkpoint.
func DecodeSnapshot(b []byte) (*State, error) {
	if len(b) < len(SnapshotMagic)+4 || string(b[:len(SnapshotMagic)]) != SnapshotMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrSnapshot)
	}
	d := &decoder{b: b[len(SnapshotMagic):]}
	if v := d.u32(); v != SnapshotVersion {
		return nil, fmt.Errorf("%w: version %d", ErrSnapshot, v)
	}
	s := NewState()
	s.applied, s.at, s.nextUserID = d.u64(), d.u64(), d.u32()
	for range d.count(4 + 8 + 1 + 1) {
		u := &User{ID: d.u32(), CreatedAt: d.u64(), Status: UserStatus(d.u8()), Username: d.str8()}
		u.Password, u.Permissions = d.hash(), d.bytes32()
		u.perms = decodedPermissions(u.Permissions)
		if _, dup := s.users[u.ID]; dup || s.nameTaken(u.Username) {
			d.fail("duplicate user %d %q", u.ID, u.Username)
		}
		s.users[u.ID], s.byName[u.Username] = u, u.ID
	}
	for range d.count(16 + 8 + 4 + 8) {
		e := &Session{Client: d.client(), Epoch: wire.Epoch(d.u64()), UserID: d.u32(), RegisteredAt: d.u64()}
		s.sessions[e.Client] = e
	}
	d.streamsSnapshot(s)
	for range d.count(4 + 1 + 32 + 8) {
		o := CreatePersonalAccessToken{UserID: d.u32(), Name: d.str8()}
		copy(o.Hash[:], d.take(len(o.Hash)))
		o.ExpiryAt = d.u64()
		if d.err == nil {
			if _, dup := s.tokens.byHash[o.Hash]; dup {
				d.fail("duplicate token hash")
			}
			s.applyToken(o)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, d.err)
	}
	return s, nil
}

func (d *decoder) streamsSnapshot(s *State) {
	t := &s.streams
	t.nextShard = d.u64()
	n := d.count(4 + 8 + 1 + 4)
	if n > 0 {
		t.init()
	}
	for range n {
		st := &Stream{ID: d.u32(), CreatedAt: d.u64(), Name: d.str8(), topics: map[uint32]*Topic{}, topicIDs: map[string]uint32{}}
		if _, dup := t.streams[st.ID]; dup {
			d.fail("duplicate stream %d", st.ID)
		}
		if _, dup := t.byName[st.Name]; dup {
			d.fail("duplicate stream name %q", st.Name)
		}
		t.streams[st.ID], t.byName[st.Name] = st, st.ID
		for range d.count(4 + 8 + 1 + 1 + 4 + 4 + 4) {
			tp := &Topic{ID: d.u32(), Stream: st.ID, CreatedAt: d.u64(), Name: d.str8(), Options: d.topicOptions(),
				groups: map[uint32]*Group{}, groupIDs: map[string]uint32{}}
			for range d.count(4 + 8 + 4) {
				tp.Partitions = append(tp.Partitions, Partition{ID: d.u32(), CreatedAt: d.u64(), Shard: d.u32()})
			}
			tp.nextGroup = d.u32()
			for range d.count(4 + 4 + 1 + 8) {
				members := d.count(4 + 16 + 4)
				g := &Group{ID: d.u32(), Name: d.str8(), Generation: d.u64()}
				for range members {
					m := Member{ID: d.u32(), Client: d.client()}
					for range d.count(4) {
						m.Partitions = append(m.Partitions, d.u32())
					}
					g.Members = append(g.Members, m)
				}
				if _, dup := tp.groupIDs[g.Name]; dup || tp.groups[g.ID] != nil {
					d.fail("duplicate group %d %q", g.ID, g.Name)
				}
				tp.groups[g.ID], tp.groupIDs[g.Name] = g, g.ID
			}
			if _, dup := st.topicIDs[tp.Name]; dup || st.topics[tp.ID] != nil {
				d.fail("duplicate topic %d %q", tp.ID, tp.Name)
			}
			st.topics[tp.ID], st.topicIDs[tp.Name] = tp, tp.ID
		}
	}
}
