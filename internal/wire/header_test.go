package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// codec is what every header type implements.
type codec interface {
	Put([]byte)
	Decode([]byte) error
}

// headerCase is one header type with a sample of every field set.
type headerCase struct {
	name string
	h    codec
	new  func() codec
	body int // body bytes the sample frame carries
	// strictReserved: non-zero reserved bytes are rejected (Iggy validates
	// them); otherwise they are ignored.
	strictReserved bool
	// reserved lists header byte ranges [lo, hi) that are reserved.
	reserved [][2]int
}

var u128a = Uint128{Lo: 0x1111111111111111, Hi: 0x2222222222222222}
var u128b = Uint128{Lo: 0x3333333333333333, Hi: 0x4444444444444444}
var client = ClientID{Lo: 7, Hi: 3 << 48}

func prefix(size int) Prefix {
	return Prefix{Cluster: u128b, Size: uint32(HeaderSize + size), View: 9, Replica: 2}
}

func headerCases() []headerCase {
	frm := [2]int{offReservedFrm, offCmdSpecific}
	return []headerCase{
		{name: "Generic", h: &GenericHeader{Prefix: Prefix{Size: 256, Command: CommandPing, Cluster: u128a}, ReservedCommand: [128]byte{1, 2, 3}},
			new: func() codec { return new(GenericHeader) }, reserved: [][2]int{frm}},
		{name: "Request", h: &RequestHeader{Prefix: prefix(10), Client: client, RequestChecksum: u128a, Timestamp: 5,
			Request: 6, Operation: OpCreateStream, Session: 8, UserID: 9, Code: 0},
			new: func() codec { return new(RequestHeader) }, body: 10, reserved: [][2]int{frm, {177, 184}, {200, 256}}},
		{name: "Reply", h: &ReplyHeader{Prefix: prefix(3), RequestChecksum: u128a, Context: u128b, Client: client, Op: 4,
			Commit: 5, Timestamp: 6, Request: 7, Operation: OpCreateTopicWithAssignments},
			new: func() codec { return new(ReplyHeader) }, body: 3, reserved: [][2]int{frm, {209, 216}, {220, 256}}},
		{name: "Eviction", h: &EvictionHeader{Prefix: prefix(0), Client: client, ServerProtocolVersion: 0x2C00,
			ServerProtocolVersionMin: 0x2C00, Reason: EvictIncompatibleProtocol},
			new: func() codec { return new(EvictionHeader) }, strictReserved: true, reserved: [][2]int{frm, {152, 255}}},
		{name: "Prepare", h: &PrepareHeader{Prefix: prefix(20), Client: client, Parent: u128a, RequestChecksum: u128b, Op: 10,
			Commit: 9, Timestamp: 8, Request: 7, Operation: OpSendMessages, Group: PartitionGroup(1, 2, 3), UserID: 4},
			new: func() codec { return new(PrepareHeader) }, body: 20, strictReserved: true, reserved: [][2]int{frm, {228, 256}}},
		{name: "RepairPrepare", h: &PrepareHeader{Prefix: Prefix{Size: 300, Command: CommandRepairPrepare}, Op: 3, Operation: OpCreateStream, Group: MetadataGroup},
			new: func() codec { return new(PrepareHeader) }, body: 44, strictReserved: true, reserved: [][2]int{frm, {228, 256}}},
		{name: "PrepareOk", h: &PrepareOkHeader{Prefix: prefix(0), Parent: u128a, PrepareChecksum: u128b, Op: 3, Commit: 2,
			Timestamp: 1, Request: 4, Operation: OpLogout, Group: MetadataGroup, ReadNonce: 6},
			new: func() codec { return new(PrepareOkHeader) }, reserved: [][2]int{frm, {193, 200}, {216, 256}}},
		{name: "Commit", h: &CommitHeader{Prefix: prefix(0), CommitChecksum: u128a, TimestampMonotonic: 3, Commit: 7, CheckpointOp: 5, Group: 1, ReadNonce: 6},
			new: func() codec { return new(CommitHeader) }, reserved: [][2]int{frm, {184, 256}}},
		{name: "StartViewChange", h: &StartViewChangeHeader{Prefix: prefix(0), Group: 5},
			new: func() codec { return new(StartViewChangeHeader) }, reserved: [][2]int{frm, {136, 256}}},
		{name: "DoViewChange", h: &DoViewChangeHeader{Prefix: prefix(2 * HeaderSize), Op: 9, Commit: 8, Group: 1, LogView: 7,
			NackBitset: Uint128{Lo: 1}, PresentBitset: Uint128{Lo: 3}},
			new: func() codec { return new(DoViewChangeHeader) }, body: 2 * HeaderSize, reserved: [][2]int{frm, {156, 224}}},
		{name: "StartView", h: &StartViewHeader{Prefix: prefix(HeaderSize), Op: 9, Commit: 8, Group: 1, Incarnation: u128a},
			new: func() codec { return new(StartViewHeader) }, body: HeaderSize, reserved: [][2]int{frm, {152, 240}}},
		{name: "RequestStartView", h: &RequestStartViewHeader{Prefix: prefix(0), Group: 1, Incarnation: u128b},
			new: func() codec { return new(RequestStartViewHeader) }, reserved: [][2]int{frm, {136, 240}}},
		{name: "RequestPrepares", h: &RequestPreparesHeader{Prefix: prefix(0), Nonce: u128a, FromOp: 3, ToOp: 9, Group: 2},
			new: func() codec { return new(RequestPreparesHeader) }, reserved: [][2]int{frm, {168, 256}}},
		{name: "RepairDone", h: &RepairRangeHeader{Prefix: prefix(0), Nonce: u128a, Op: 3, Group: 4},
			new: func() codec { return new(RepairRangeHeader) }, reserved: [][2]int{frm, {160, 256}}},
		{name: "RangeEvicted", h: &RepairRangeHeader{Prefix: Prefix{Size: 256, Command: CommandRangeEvicted}, Nonce: u128a, Op: 3},
			new: func() codec { return new(RepairRangeHeader) }, reserved: [][2]int{frm, {160, 256}}},
		{name: "RequestStateTransfer", h: &RequestStateTransferHeader{Prefix: prefix(0), Nonce: u128a, Group: MetadataGroup},
			new: func() codec { return new(RequestStateTransferHeader) }, reserved: [][2]int{frm, {152, 256}}},
		{name: "StateTransferTarget", h: &StateTransferTargetHeader{Prefix: prefix(64), Nonce: u128a, CommitOp: 5, Group: 1, Available: true, CommitMax: 6},
			new: func() codec { return new(StateTransferTargetHeader) }, body: 64, reserved: [][2]int{frm, {162, 168}, {176, 256}}},
		{name: "RequestStateChunk", h: &RequestStateChunkHeader{Prefix: prefix(0), Nonce: u128a, Offset: 4096, Group: 1, Len: 512, Artifact: 2},
			new: func() codec { return new(RequestStateChunkHeader) }, reserved: [][2]int{frm, {168, 256}}},
		{name: "StateChunk", h: &StateChunkHeader{Prefix: prefix(512), Nonce: u128a, Offset: 4096, Group: 1, Artifact: 2},
			new: func() codec { return new(StateChunkHeader) }, body: 512, reserved: [][2]int{frm, {164, 256}}},
		{name: "ForwardRegister", h: &ForwardRegisterHeader{Prefix: prefix(0), Client: client, Nonce: u128a, UserID: 3},
			new: func() codec { return new(ForwardRegisterHeader) }, strictReserved: true, reserved: [][2]int{{164, 256}}},
		{name: "ForwardRegisterResult", h: &ForwardRegisterResultHeader{Prefix: prefix(0), Nonce: u128a, Client: client, Epoch: 4, Watermark: 5},
			new: func() codec { return new(ForwardRegisterResultHeader) }, strictReserved: true, reserved: [][2]int{{176, 255}}},
		{name: "ForwardLogout", h: &ForwardLogoutHeader{Prefix: prefix(0), Client: client, Nonce: u128a, Session: 4, Request: 5},
			new: func() codec { return new(ForwardLogoutHeader) }, strictReserved: true, reserved: [][2]int{{176, 256}}},
		{name: "ForwardLogoutResult", h: &ForwardLogoutResultHeader{Prefix: prefix(0), Nonce: u128a, Client: client, Commit: 9},
			new: func() codec { return new(ForwardLogoutResultHeader) }, strictReserved: true, reserved: [][2]int{{168, 255}}},
		{name: "ReplicaHello", h: &HandshakeHeader{Prefix: Prefix{Command: CommandReplicaHello, Cluster: u128a, Replica: 1}, Nonce: [32]byte{1, 2}, Timestamp: 1e18},
			new: func() codec { return new(HandshakeHeader) }, strictReserved: true, reserved: [][2]int{{193, 200}, {208, 256}}},
		{name: "ReplicaChallenge", h: &HandshakeHeader{Prefix: Prefix{Command: CommandReplicaChallenge, Replica: 2}, Nonce: [32]byte{3}, MAC: [32]byte{4}, Status: 1},
			new: func() codec { return new(HandshakeHeader) }, strictReserved: true, reserved: [][2]int{{193, 200}, {208, 256}}},
		{name: "ReplicaFinish", h: &HandshakeHeader{Prefix: Prefix{Command: CommandReplicaFinish}, MAC: [32]byte{5}},
			new: func() codec { return new(HandshakeHeader) }, strictReserved: true, reserved: [][2]int{{193, 200}, {208, 256}}},
	}
}

// frameOf encodes tc's header followed by a patterned body.
func frameOf(tc headerCase) []byte {
	b := make([]byte, HeaderSize+tc.body)
	tc.h.Put(b)
	for i := HeaderSize; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			b := frameOf(tc)
			got := tc.new()
			if err := got.Decode(b); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.h) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, tc.h)
			}
			// Put of the decoded value gives the same bytes.
			again := make([]byte, len(b))
			copy(again[HeaderSize:], b[HeaderSize:])
			got.Put(again)
			if !bytes.Equal(again, b) {
				t.Fatalf("re-encode differs:\n got %x\nwant %x", again[:HeaderSize], b[:HeaderSize])
			}
			var g GenericHeader
			if err := g.Decode(b); err != nil || int(g.Size) != len(b) {
				t.Fatalf("generic decode: %v size %d", err, g.Size)
			}
		})
	}
}

func TestHeaderShortInput(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			b := frameOf(tc)
			for n := 0; n < HeaderSize; n++ {
				if err := tc.new().Decode(b[:n]); !errors.Is(err, ErrShortHeader) {
					t.Fatalf("decode of %d bytes: %v, want ErrShortHeader", n, err)
				}
			}
		})
	}
}

// Every proper prefix of a valid frame is a cut frame: io.EOF if empty,
// io.ErrUnexpectedEOF otherwise.
func TestReadFrameTruncated(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			b := frameOf(tc)
			for n := 0; n < len(b); n++ {
				_, err := NewReader(bytes.NewReader(b[:n]), 0).ReadFrame()
				want := io.ErrUnexpectedEOF
				if n == 0 {
					want = io.EOF
				}
				if err != want {
					t.Fatalf("prefix %d/%d: %v, want %v", n, len(b), err, want)
				}
			}
			f, err := NewReader(bytes.NewReader(b), 0).ReadFrame()
			if err != nil || !bytes.Equal(f.Bytes(), b) {
				t.Fatalf("whole frame: %v", err)
			}
			f.Release()
		})
	}
}

func TestReadFrameRejectsSizeAndCommand(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, bad := range []struct {
				size uint32
				cmd  int // -1 keeps the command
				want error
			}{
				{255, -1, ErrFrameTooSmall},
				{0, -1, ErrFrameTooSmall},
				{DefaultMaxMessageSize + 1, -1, ErrFrameTooLarge},
				{0xFFFFFFFF, -1, ErrFrameTooLarge},
				{256, 30, ErrUnknownCommand},
				{256, 255, ErrUnknownCommand},
			} {
				b := frameOf(tc)[:HeaderSize]
				put32(b, offSize, bad.size)
				if bad.cmd >= 0 {
					b[offCommand] = byte(bad.cmd)
				}
				// The rest of the stream would be a valid body: the reader
				// must refuse on the header alone.
				stream := append(b, make([]byte, 1024)...)
				_, err := NewReader(bytes.NewReader(stream), 0).ReadFrame()
				if !errors.Is(err, bad.want) {
					t.Fatalf("size %d cmd %d: %v, want %v", bad.size, bad.cmd, err, bad.want)
				}
				if bad.cmd >= 0 {
					if err := tc.new().Decode(b); err == nil {
						t.Fatalf("typed decode accepted command %d", bad.cmd)
					}
				}
			}
		})
	}
}

func TestReadFrameConfigurableMax(t *testing.T) {
	b := frameOf(headerCases()[1]) // Request with a 10-byte body
	if _, err := NewReader(bytes.NewReader(b), uint32(len(b)-1)).ReadFrame(); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("max %d: %v", len(b)-1, err)
	}
	f, err := NewReader(bytes.NewReader(b), uint32(len(b))).ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
}

func TestHeaderReservedBytes(t *testing.T) {
	for _, tc := range headerCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range tc.reserved {
				for off := r[0]; off < r[1]; off++ {
					b := frameOf(tc)
					b[off] = 0xA5
					got := tc.new()
					err := got.Decode(b)
					if tc.strictReserved {
						if !errors.Is(err, ErrInvalidField) {
							t.Fatalf("byte %d set: %v, want ErrInvalidField", off, err)
						}
						continue
					}
					if err != nil {
						t.Fatalf("byte %d set: %v, want it ignored", off, err)
					}
					if _, generic := tc.h.(*GenericHeader); !generic && !reflect.DeepEqual(got, tc.h) {
						t.Fatalf("byte %d set changed decoded fields: %+v", off, got)
					}
				}
			}
		})
	}
}

func TestHeaderWrongCommand(t *testing.T) {
	cases := headerCases()
	for _, tc := range cases {
		b := frameOf(tc)
		for _, other := range cases {
			if other.name == tc.name || reflect.TypeOf(other.h) == reflect.TypeOf(tc.h) {
				continue
			}
			if _, generic := other.h.(*GenericHeader); generic {
				continue
			}
			if err := other.new().Decode(b); err == nil {
				t.Errorf("%s decoder accepted a %s frame", other.name, tc.name)
			}
		}
	}
}

func TestHeaderFieldRules(t *testing.T) {
	mk := func(h codec, size int) []byte {
		b := make([]byte, max(size, HeaderSize))
		h.Put(b)
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		dec  codec
	}{
		{"request client 0", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Operation: OpNonReplicated}, 0), new(RequestHeader)},
		{"request op reserved", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Client: client}, 0), new(RequestHeader)},
		{"request op undefined", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Client: client, Operation: 99}, 0), new(RequestHeader)},
		{"register with session", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Client: client, Operation: OpRegister, Session: 1}, 0), new(RequestHeader)},
		{"register with request", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Client: client, Operation: OpRegister, Request: 1}, 0), new(RequestHeader)},
		{"metadata without session", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Client: client, Operation: OpCreateStream, Request: 1}, 0), new(RequestHeader)},
		{"metadata without request", mk(&RequestHeader{Prefix: Prefix{Size: 256}, Client: client, Operation: OpCreateStream, Session: 1}, 0), new(RequestHeader)},
		{"reply status with body", mk(&ReplyHeader{Prefix: Prefix{Size: 260}, Operation: OpNonReplicated, Status: StatusUnauthenticated}, 260), new(ReplyHeader)},
		{"reply op undefined", mk(&ReplyHeader{Prefix: Prefix{Size: 256}, Operation: 200}, 0), new(ReplyHeader)},
		{"eviction reason 0", mk(&EvictionHeader{Client: client}, 0), new(EvictionHeader)},
		{"eviction client 0", mk(&EvictionHeader{Reason: EvictNoSession}, 0), new(EvictionHeader)},
		{"eviction window without 14", mk(&EvictionHeader{Client: client, Reason: EvictNoSession, ServerProtocolVersion: 1}, 0), new(EvictionHeader)},
		{"eviction 14 min 0", mk(&EvictionHeader{Client: client, Reason: EvictIncompatibleProtocol, ServerProtocolVersion: 5}, 0), new(EvictionHeader)},
		{"eviction 14 min > max", mk(&EvictionHeader{Client: client, Reason: EvictIncompatibleProtocol, ServerProtocolVersion: 5, ServerProtocolVersionMin: 6}, 0), new(EvictionHeader)},
		{"commit with body", mk(&CommitHeader{}, 0), new(CommitHeader)},
		{"svc release", mk(&StartViewChangeHeader{Prefix: Prefix{Size: 256, Release: 1}}, 0), new(StartViewChangeHeader)},
		{"dvc log_view > view", mk(&DoViewChangeHeader{Prefix: Prefix{Size: 256, View: 1}, LogView: 2}, 0), new(DoViewChangeHeader)},
		{"dvc commit > op", mk(&DoViewChangeHeader{Prefix: Prefix{Size: 256}, Commit: 2, Op: 1}, 0), new(DoViewChangeHeader)},
		{"dvc partial body", mk(&DoViewChangeHeader{Prefix: Prefix{Size: 300}}, 300), new(DoViewChangeHeader)},
		{"dvc 129 headers", mk(&DoViewChangeHeader{Prefix: Prefix{Size: 130 * 256}}, 130*256), new(DoViewChangeHeader)},
		{"dvc bits beyond suffix", mk(&DoViewChangeHeader{Prefix: Prefix{Size: 512}, PresentBitset: Uint128{Lo: 2}}, 512), new(DoViewChangeHeader)},
		{"sv commit > op", mk(&StartViewHeader{Prefix: Prefix{Size: 256}, Commit: 2}, 0), new(StartViewHeader)},
		{"rsv release", mk(&RequestStartViewHeader{Prefix: Prefix{Size: 256, Release: 3}}, 0), new(RequestStartViewHeader)},
		{"request_prepares from 0", mk(&RequestPreparesHeader{Prefix: Prefix{Size: 256}, ToOp: 3}, 0), new(RequestPreparesHeader)},
		{"request_prepares from > to", mk(&RequestPreparesHeader{Prefix: Prefix{Size: 256}, FromOp: 4, ToOp: 3}, 0), new(RequestPreparesHeader)},
		{"target body unavailable", mk(&StateTransferTargetHeader{Prefix: Prefix{Size: 300}}, 300), new(StateTransferTargetHeader)},
		{"target both flags", mk(&StateTransferTargetHeader{Prefix: Prefix{Size: 256}, Available: true, UnavailableTransient: true}, 0), new(StateTransferTargetHeader)},
		{"chunk len 0", mk(&RequestStateChunkHeader{}, 0), new(RequestStateChunkHeader)},
		{"forward nonce 0", mk(&ForwardRegisterHeader{Client: client}, 0), new(ForwardRegisterHeader)},
		{"forward client 0", mk(&ForwardLogoutHeader{Nonce: u128a}, 0), new(ForwardLogoutHeader)},
		{"register result epoch on failure", mk(&ForwardRegisterResultHeader{Client: client, Nonce: u128a, Epoch: 1, Outcome: ForwardRegisterNotPrimary}, 0), new(ForwardRegisterResultHeader)},
		{"logout result commit on failure", mk(&ForwardLogoutResultHeader{Client: client, Nonce: u128a, Commit: 1, Outcome: ForwardLogoutCanceled}, 0), new(ForwardLogoutResultHeader)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "commit with body" {
				put32(tc.b, offSize, 300)
			}
			if err := tc.dec.Decode(tc.b); !errors.Is(err, ErrInvalidField) {
				t.Fatalf("got %v, want ErrInvalidField", err)
			}
		})
	}
}

func TestEnumsString(t *testing.T) {
	for c := Command(0); c <= MaxCommand; c++ {
		if s := c.String(); s == "" || strings.HasPrefix(s, "Command(") {
			t.Errorf("command %d has no name", c)
		}
	}
	if Command(30).String() != "Command(30)" || Command(30).Valid() {
		t.Error("command 30")
	}
	if OpSendMessages.String() != "SendMessages" || Operation(99).String() != "Operation(99)" || Operation(99).Valid() || OpReserved.Valid() {
		t.Error("operation names")
	}
	if EvictMalformedLogin.String() != "MalformedLogin" || EvictionReason(16).String() != "EvictionReason(16)" {
		t.Error("eviction names")
	}
	if StatusUnauthenticated != 40 || StatusUnauthenticated.String() != "Unauthenticated" || Status(123456).String() != "Status(123456)" {
		t.Error("status names")
	}
	if err := StatusInvalidCredentials.Err(); !errors.Is(err, &Error{Status: 42}) || StatusOK.Err() != nil {
		t.Error("status errors")
	}
}

func TestOperationClasses(t *testing.T) {
	for op := 0; op < 256; op++ {
		o := Operation(op)
		wantFramed := o.Valid() && (op >= 64 && op <= 68 || op >= 128 && op <= 149 && op != 138 || op == 161 || op == 162)
		if o.IsResultFramed() != wantFramed {
			t.Errorf("%v: IsResultFramed = %v", o, !wantFramed)
		}
		if o.IsPartition() != (op >= 160 && op <= 162) {
			t.Errorf("%v: IsPartition wrong", o)
		}
		if o.Valid() && o.Code() != 0 {
			if back, ok := OperationForCode(o.Code()); !ok || back != o {
				t.Errorf("%v: code %d maps back to %v", o, o.Code(), back)
			}
		}
	}
	if _, ok := OperationForCode(1); ok {
		t.Error("ping (code 1) is not replicated")
	}
}

func TestClientIDShard(t *testing.T) {
	id := NewClientID(7, 0x2a)
	if id.Shard() != 7 || id.Lo != 0x2a {
		t.Fatalf("%v", id)
	}
	if NewClientID(0xFFFF, 1).Shard() != 0xFFFF || (ClientID{}).Shard() != 0 {
		t.Fatal("shard bits")
	}
	// Big-endian display of the u128.
	if s := NewClientID(1, 2).String(); s != "0x00010000000000000000000000000002" {
		t.Fatal(s)
	}
}
