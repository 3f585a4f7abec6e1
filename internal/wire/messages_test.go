package wire

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

var goldenMessageID = [16]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}

func TestGoldenSendMessages(t *testing.T) {
	want := loadHex(t, "send_messages_body.hex")
	got, err := AppendSendMessages(nil, NumericID(0), NumericID(0), Partitioning{Kind: PartitionByID},
		[]MessageIn{{ID: goldenMessageID, OriginTimestamp: 1_700_000_000_000_000, Payload: []byte("message 0")}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded differs:\n got %x\nwant %x", got, want)
	}
	var s SendMessages
	if err := s.Decode(want); err != nil {
		t.Fatal(err)
	}
	if s.Stream.Kind != IdentifierNumeric || s.Stream.ID != 0 || s.Topic.Kind != IdentifierNumeric || s.Topic.ID != 0 || s.Partitioning.Kind != PartitionByID ||
		s.Header.MessageCount != 1 || s.Header.BatchLength != 313 || s.Header.BatchChecksum != 0xc636bd46d10f9e76 ||
		s.Header.OriginTimestamp != 1_700_000_000_000_000 {
		t.Fatalf("decoded %+v", s)
	}
	m, next, err := ParseMessage(s.Batch[BatchHeaderSize:], 0)
	if err != nil || next != 57 || string(m.Payload) != "message 0" || !bytes.Equal(m.ID, goldenMessageID[:]) ||
		m.Checksum != 0xb26d0e9da0103d89 || !VerifyMessage(&m) {
		t.Fatalf("message %+v next %d err %v", m, next, err)
	}
}

func sampleSend(t testing.TB, n int) []byte {
	msgs := make([]MessageIn, n)
	for i := range msgs {
		msgs[i] = MessageIn{ID: [16]byte{byte(i + 1)}, OriginTimestamp: 1000 + uint64(i*3),
			Payload: []byte(fmt.Sprintf("payload %d", i)), UserHeaders: bytes.Repeat([]byte{byte(i)}, i%3)}
	}
	b, err := AppendSendMessages(nil, NamedID("orders"), NumericID(3), Partitioning{Kind: PartitionByID, Partition: 2}, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendMessagesAdmission(t *testing.T) {
	good := sampleSend(t, 5)
	var s SendMessages
	if err := s.Decode(good); err != nil {
		t.Fatal(err)
	}
	if string(s.Stream.Name) != "orders" || s.Topic.ID != 3 || s.Partitioning.Partition != 2 || s.Header.MessageCount != 5 {
		t.Fatalf("%+v", s)
	}
	metaEnd := 4 + 8 + 6 + 6 + 4 // metadata_length, "orders", topic, partitioning, count
	batch := metaEnd
	frames := batch + BatchHeaderSize
	for _, tc := range []struct {
		name   string
		mutate func(b []byte) []byte
		want   Status
	}{
		{"payload byte", func(b []byte) []byte { b[frames+MessageHeaderSize] ^= 1; return b }, StatusInvalidMessageChecksum},
		{"message id", func(b []byte) []byte { b[frames+8] ^= 1; return b }, StatusInvalidMessageChecksum},
		{"batch checksum", func(b []byte) []byte { b[batch+40] ^= 1; return b }, StatusInvalidBatchChecksum},
		{"origin timestamp", func(b []byte) []byte { b[batch+24] ^= 1; return b }, StatusInvalidBatchChecksum},
		{"batch reserved", func(b []byte) []byte { b[batch+100] = 1; return b }, StatusInvalidReservedField},
		{"message reserved", func(b []byte) []byte { b[frames+40] = 1; return b }, StatusInvalidReservedField},
		{"metadata length", func(b []byte) []byte { b[0]++; return b }, StatusInvalidFormat},
		{"messages_count", func(b []byte) []byte { b[metaEnd-4]++; return b }, StatusInvalidMessagesCount},
		{"trailing byte", func(b []byte) []byte { return append(b, 0) }, StatusInvalidFormat},
		{"cut body", func(b []byte) []byte { return b[:len(b)-1] }, StatusInvalidFormat},
		{"payload length overruns", func(b []byte) []byte { b[frames+36] = 0xFF; return b }, StatusInvalidFormat},
		{"bad identifier", func(b []byte) []byte { b[4] = 9; return b }, StatusInvalidFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := new(SendMessages).Decode(tc.mutate(bytes.Clone(good)))
			if err == nil || StatusOf(err) != tc.want {
				t.Fatalf("got %v (status %v), want status %v", err, StatusOf(err), tc.want)
			}
		})
	}
	// Every truncation is refused with a status, never a panic.
	for n := range len(good) {
		if err := new(SendMessages).Decode(good[:n]); err == nil {
			t.Fatalf("prefix %d accepted", n)
		}
	}
	if _, err := AppendBatch(nil, nil); err == nil {
		t.Fatal("empty batch encoded")
	}
	if _, err := AppendBatch(nil, []MessageIn{{OriginTimestamp: 0}, {OriginTimestamp: 1 << 33}}); err == nil {
		t.Fatal("timestamp delta above u32 encoded")
	}
}

func TestPollMessagesRoundTrip(t *testing.T) {
	p := PollMessages{Consumer: Consumer{Kind: ConsumerGroup, ID: NamedID("g")}, Stream: NumericID(1), Topic: NamedID("t"),
		HasPartition: true, Partition: 4, Strategy: PollingStrategy{Kind: PollNext}, Count: 12, AutoCommit: true}
	b := p.Append(nil)
	var d PollMessages
	if err := d.Decode(b); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d) != fmt.Sprint(p) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", d, p)
	}
	for n := range len(b) {
		if err := new(PollMessages).Decode(b[:n]); StatusOf(err) != StatusInvalidFormat {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
	bad := bytes.Clone(b)
	bad[len(bad)-1-4-8-1] = 9 // strategy kind
	if err := new(PollMessages).Decode(bad); err == nil {
		t.Fatal("strategy 9 accepted")
	}
}

func TestPollReplyDecode(t *testing.T) {
	var s SendMessages
	if err := s.Decode(sampleSend(t, 3)); err != nil {
		t.Fatal(err)
	}
	// Stamp the record as a partition would: base offset 10.
	rec := bytes.Clone(s.Batch)
	h := s.Header
	h.BaseOffset, h.PartitionID = 10, 2
	h.Put(rec)
	body := (&PollReply{PartitionID: 2, CurrentOffset: 12, MessagesCount: 6}).Append(nil)
	body = append(append(body, rec...), rec...)
	var offsets []uint64
	r, err := DecodePollReply(body, func(h *BatchHeader, m *Message) error {
		offsets = append(offsets, h.BaseOffset+uint64(m.OffsetDelta))
		return nil
	})
	if err != nil || r.MessagesCount != 6 || fmt.Sprint(offsets) != "[10 11 12 10 11 12]" {
		t.Fatalf("%+v %v %v", r, offsets, err)
	}
	put32(body, 12, 5) // messages_count disagrees
	if _, err := DecodePollReply(body, nil); !errors.Is(err, ErrMalformedBody) {
		t.Fatalf("count mismatch: %v", err)
	}
}

func TestClusterMetadataRoundTrip(t *testing.T) {
	c := ClusterMetadata{Name: "single-node", Nodes: []ClusterNode{{Name: "shoal-node", IP: "127.0.0.1", TCP: 8090, QUIC: 8080,
		HTTP: 3000, WebSocket: 8092, Role: RoleLeader, Status: NodeHealthy}}}
	b := c.Append(nil)
	var d ClusterMetadata
	if err := d.Decode(b); err != nil || fmt.Sprint(d) != fmt.Sprint(c) {
		t.Fatalf("%v %+v", err, d)
	}
	for n := range len(b) {
		if err := new(ClusterMetadata).Decode(b[:n]); err == nil {
			t.Fatalf("prefix %d accepted", n)
		}
	}
}

func TestSendConfirmations(t *testing.T) {
	b := AppendSendConfirmations(nil, SendConfirmation{Stream: 1, Topic: 2, Partition: 3, BaseOffset: 8})
	cs, err := DecodeSendConfirmations(b)
	if err != nil || len(cs) != 1 || cs[0].BaseOffset != 8 || cs[0].Partition != 3 {
		t.Fatalf("%v %+v", err, cs)
	}
	if _, err := DecodeSendConfirmations(b[:len(b)-1]); err == nil {
		t.Fatal("cut confirmations accepted")
	}
}

func FuzzSendMessages(f *testing.F) {
	f.Add(loadHex(f, "send_messages_body.hex"))
	f.Add(sampleSend(f, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s SendMessages
		err := s.Decode(data)
		// Collecting the checksums changes nothing but Sums.
		summed := SendMessages{Sums: []byte{}}
		if err2 := summed.Decode(data); StatusOf(err) != StatusOf(err2) {
			t.Fatalf("Decode with Sums: %v, without: %v", err2, err)
		}
		if err != nil {
			var be *BodyError
			if !errors.As(err, &be) || be.Status == StatusOK {
				t.Fatalf("error without a reply status: %v", err)
			}
			return
		}
		if len(summed.Sums) != 8*int(s.Header.MessageCount) {
			t.Fatalf("%d checksum bytes for %d messages", len(summed.Sums), s.Header.MessageCount)
		}
		if walked, _ := BatchChecksum(&s.Header, s.Batch[BatchHeaderSize:]); BatchChecksumOf(&s.Header, summed.Sums) != walked {
			t.Fatal("batch checksum from the sums differs")
		}
		// An admitted batch holds exactly message_count verified frames.
		n := uint32(0)
		for off := BatchHeaderSize; off < len(s.Batch); n++ {
			m, next, err := ParseMessage(s.Batch, off)
			if err != nil || !VerifyMessage(&m) {
				t.Fatalf("admitted batch has a bad frame at %d: %v", off, err)
			}
			off = next
		}
		if n != s.Header.MessageCount {
			t.Fatalf("admitted %d frames, header says %d", n, s.Header.MessageCount)
		}
	})
}

func FuzzPollMessages(f *testing.F) {
	f.Add((&PollMessages{Consumer: Consumer{Kind: ConsumerSingle, ID: NumericID(0)}, Stream: NumericID(0), Topic: NumericID(0),
		HasPartition: true, Strategy: PollingStrategy{Kind: PollOffset}, Count: 12}).Append(nil))
	var s SendMessages
	if err := s.Decode(sampleSend(f, 2)); err != nil {
		f.Fatal(err)
	}
	f.Add(append((&PollReply{MessagesCount: 2}).Append(nil), s.Batch...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p PollMessages
		if p.Decode(data) == nil {
			var again PollMessages
			if err := again.Decode(p.Append(nil)); err != nil || fmt.Sprint(again) != fmt.Sprint(p) {
				t.Fatalf("re-encode: %v", err)
			}
		}
		_, _ = DecodePollReply(data, nil)
	})
}

func TestSystemBodiesRoundTrip(t *testing.T) {
	ci := ClientInfo{ID: 3, UserID: 0, Transport: ClientTransportTCP, Address: "127.0.0.1:5555",
		Groups: []ClientGroup{{Stream: 1, Topic: 2, Group: 3}}}
	for _, withGroups := range []bool{false, true} {
		b := ci.Append(nil, withGroups)
		got, n, err := DecodeClientInfo(b, withGroups)
		want := ci
		if !withGroups {
			want.Groups = nil
		}
		if err != nil || n != len(b) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("withGroups=%v: %v %d %+v", withGroups, err, n, got)
		}
		for k := range len(b) {
			if _, _, err := DecodeClientInfo(b[:k], withGroups); err == nil {
				t.Fatalf("prefix %d accepted", k)
			}
		}
	}
	s := Stats{ProcessID: 9, CPUUsage: 1.5, MemoryUsage: 1 << 30, StreamsCount: 2, MessagesCount: 77, ClientsCount: 1,
		Hostname: "h", OSName: "linux", ServerVersion: "0.1.0", ServerSemver: 100, ThreadsCount: 4, TotalDiskSpace: 1 << 40}
	b := s.Append(nil)
	var d Stats
	if err := d.Decode(b); err != nil || d != s {
		t.Fatalf("%v %+v", err, d)
	}
}

// TestSendMessagesSums: Decode collects the messages' checksums in one
// pass, and the batch checksum computed from them equals the one computed
// by walking the frames, before and after stamping.
func TestSendMessagesSums(t *testing.T) {
	msgs := []MessageIn{{Payload: []byte("a")}, {Payload: []byte("bb"), UserHeaders: []byte{1, 2, 3}}, {Payload: make([]byte, 300)}}
	body, err := AppendSendMessages(nil, NumericID(1), NumericID(2), Partitioning{Kind: PartitionBalanced}, msgs)
	if err != nil {
		t.Fatal(err)
	}
	sm := SendMessages{Sums: make([]byte, 0, 64)}
	if err := sm.Decode(body); err != nil {
		t.Fatal(err)
	}
	if len(sm.Sums) != 8*len(msgs) {
		t.Fatalf("%d checksum bytes for %d messages", len(sm.Sums), len(msgs))
	}
	h := sm.Header
	for range 2 {
		walked, err := BatchChecksum(&h, sm.Batch[BatchHeaderSize:])
		if err != nil || BatchChecksumOf(&h, sm.Sums) != walked {
			t.Fatalf("checksum from sums differs from the walked one (%v)", err)
		}
		h.PartitionID, h.BaseOffset, h.BaseTimestamp = 7, 1000, 123456 // stamped
	}
	bad := append([]byte(nil), body...)
	bad[len(bad)-1] ^= 1
	sm = SendMessages{Sums: make([]byte, 0, 64)}
	if err := sm.Decode(bad); StatusOf(err) != StatusInvalidMessageChecksum {
		t.Fatalf("a damaged payload: %v", err)
	}
}
