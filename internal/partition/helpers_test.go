package partition

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

const testDir = "data/streams/0/topics/0/partitions/1"

// payloadOf is message i's payload: its index, padded to size bytes.
func payloadOf(i uint64, size int) []byte {
	p := fmt.Appendf(nil, "message %d", i)
	for len(p) < size {
		p = append(p, byte('a'+i%26))
	}
	return p
}

// makeBatch returns a producer batch of n messages numbered first.., with
// payloads of size bytes (at least the label) and user headers on odd
// messages.
func makeBatch(t testing.TB, first uint64, n, size int) []byte {
	t.Helper()
	msgs := make([]wire.MessageIn, n)
	for i := range msgs {
		k := first + uint64(i)
		binary.LittleEndian.PutUint64(msgs[i].ID[:], k+1)
		msgs[i].OriginTimestamp = 1_700_000_000_000_000 + k
		msgs[i].Payload = payloadOf(k, size)
		if k%2 == 1 {
			msgs[i].UserHeaders = []byte{2, 1, 0, 0, 0, 'k', 2, 1, 0, 0, 0, 'v'}
		}
	}
	b, err := wire.AppendBatch(nil, msgs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustOpen(t testing.TB, fsys vfs.FS, cfg Config) *Partition {
	t.Helper()
	p, err := Open(fsys, testDir, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustAppend(t testing.TB, p *Partition, b []byte, now uint64) AppendResult {
	t.Helper()
	r, err := p.Append(b, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// polled is one message from a decoded poll reply.
type polled struct {
	offset    uint64
	timestamp uint64
	payload   string
	headers   string
}

// decodePoll decodes a poll reply body with wire.DecodePollReply and
// checks every record verifies as a whole batch.
func decodePoll(t testing.TB, body []byte) (wire.PollReply, []polled) {
	t.Helper()
	var out []polled
	r, err := wire.DecodePollReply(body, func(h *wire.BatchHeader, m *wire.Message) error {
		if !wire.VerifyMessage(m) {
			return fmt.Errorf("message %d fails its checksum", h.BaseOffset+uint64(m.OffsetDelta))
		}
		out = append(out, polled{offset: h.BaseOffset + uint64(m.OffsetDelta), timestamp: h.BaseTimestamp,
			payload: string(m.Payload), headers: string(m.UserHeaders)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rest := body[wire.PollReplyHeaderSize:]; len(rest) > 0; {
		n := binary.LittleEndian.Uint64(rest[32:])
		if err := wire.VerifyBatch(rest[:n]); err != nil {
			t.Fatalf("record at offset %d: %v", binary.LittleEndian.Uint64(rest[8:]), err)
		}
		if id := binary.LittleEndian.Uint64(rest); id != uint64(r.PartitionID) {
			t.Fatalf("record partition_id %d, reply %d", id, r.PartitionID)
		}
		rest = rest[n:]
	}
	return r, out
}

func poll(t testing.TB, p *Partition, req PollRequest) (wire.PollReply, []polled) {
	t.Helper()
	body, _, err := p.Poll(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	return decodePoll(t, body)
}

// pollAll returns every message of p.
func pollAll(t testing.TB, p *Partition) []polled {
	t.Helper()
	_, ms := poll(t, p, PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollOffset}, Count: ^uint32(0)})
	return ms
}

// checkSequence checks ms are messages from..from+len-1 with the payloads
// makeBatch gives them.
func checkSequence(t testing.TB, ms []polled, from uint64, size int) {
	t.Helper()
	for i, m := range ms {
		want := from + uint64(i)
		if m.offset != want {
			t.Fatalf("message %d has offset %d, want %d", i, m.offset, want)
		}
		if !bytes.Equal([]byte(m.payload), payloadOf(want, size)) {
			t.Fatalf("message %d payload %.20q", want, m.payload)
		}
		if (want%2 == 1) != (m.headers != "") {
			t.Fatalf("message %d user headers %q", want, m.headers)
		}
	}
}

func offsets(ms []polled) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = m.offset
	}
	return out
}

// rewrite replaces a MemFS file's contents durably.
func rewrite(t testing.TB, fsys vfs.FS, name string, edit func([]byte) []byte) {
	t.Helper()
	b, err := vfs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	b = edit(b)
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
