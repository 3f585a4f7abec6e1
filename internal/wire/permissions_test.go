package wire

import (
	"encoding/binary"
	"testing"
)

func TestDecodePermissions(t *testing.T) {
	// Global read_topics; stream 3 with send_messages and topics 7
	// (poll_messages) and 8 (manage_topic); stream 4 with read_stream.
	b := []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1}
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = append(b, 0, 0, 0, 0, 0, 1, 1)
	b = binary.LittleEndian.AppendUint32(b, 7)
	b = append(b, 0, 0, 1, 0, 1)
	b = binary.LittleEndian.AppendUint32(b, 8)
	b = append(b, 1, 0, 0, 0, 0, 1)
	b = binary.LittleEndian.AppendUint32(b, 4)
	b = append(b, 0, 1, 0, 0, 0, 0, 0, 0)
	p, err := DecodePermissions(b)
	if err != nil {
		t.Fatal(err)
	}
	if !p.ReadTopics || p.ManageStreams || len(p.Streams) != 2 || !p.Streams[3].SendMessages ||
		!p.Streams[3].Topics[7].PollMessages || !p.Streams[3].Topics[8].ManageTopic || !p.Streams[4].ReadStream {
		t.Fatalf("decoded %+v", p)
	}
	if got := p.Append(nil); string(got) != string(b) {
		t.Fatalf("re-encoded as % x", got)
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"read topic anywhere", p.ReadTopic(9, 9)},
		{"poll anywhere (read_topics)", p.Poll(9, 9)},
		{"send to stream 3", p.Send(3, 1)},
		{"manage topic 3/8", p.ManageTopic(3, 8)},
		{"read stream 4", p.ReadStream(4)},
	} {
		if !c.ok {
			t.Errorf("%s: refused", c.name)
		}
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"send to stream 4", p.Send(4, 1)},
		{"manage topic 3/7", p.ManageTopic(3, 7)},
		{"create a stream", p.CreateStream()},
		{"manage stream 3", p.ManageStream(3)},
		{"read servers", p.ReadServer()},
	} {
		if c.ok {
			t.Errorf("%s: allowed", c.name)
		}
	}
	for n := 1; n < len(b); n++ {
		if _, err := DecodePermissions(b[:n]); err == nil {
			t.Fatalf("%d-byte prefix decodes", n)
		}
	}
	for _, bad := range [][]byte{append(b, 0), {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}} {
		if _, err := DecodePermissions(bad); err == nil {
			t.Fatalf("% x decodes", bad)
		}
	}
	if p, err := DecodePermissions(nil); err != nil || p.PollMessages || p.Streams != nil {
		t.Fatalf("empty: %+v %v", p, err)
	}
}
