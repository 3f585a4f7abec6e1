package partition

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// wire.md §6.3-6.4: the one-message batch of the SendMessages example.
// Stored at offset 0 of partition 0 with timestamp 0, the stamped record
// equals what the producer sent, checksums included, and a poll serves it
// byte for byte.
func TestSpecBatchGolden(t *testing.T) {
	id := [16]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01}
	batch, err := wire.AppendBatch(nil, []wire.MessageIn{{ID: id, OriginTimestamp: 1_700_000_000_000_000, Payload: []byte("message 0")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 313 || binary.LittleEndian.Uint64(batch[40:]) != 0xc636bd46d10f9e76 ||
		binary.LittleEndian.Uint64(batch[256:]) != 0xb26d0e9da0103d89 {
		t.Fatalf("batch does not match wire.md §6.3: % x", batch[:64])
	}
	sent := bytes.Clone(batch)
	p, err := Open(vfs.NewMem(), testDir, 0, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if r, err := p.Append(batch, 0); err != nil || r.BaseOffset != 0 {
		t.Fatalf("append: %+v %v", r, err)
	}
	if !bytes.Equal(batch, sent) {
		t.Fatalf("stamping partition 0, offset 0, time 0 changed the record")
	}
	body, _, err := p.Poll(nil, PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, sent...)
	if !bytes.Equal(body, want) {
		t.Fatalf("poll reply\n got % x\nwant % x", body, want)
	}
	// Stamped at offset 1 with a time, the batch checksum is recomputed and
	// the frame checksum kept.
	again := bytes.Clone(sent)
	if _, err := p.Append(again, 1_700_000_000_000_123); err != nil {
		t.Fatal(err)
	}
	var h wire.BatchHeader
	if err := h.Decode(again); err != nil || h.BaseOffset != 1 || h.BaseTimestamp != 1_700_000_000_000_123 ||
		h.BatchChecksum == 0xc636bd46d10f9e76 || wire.VerifyBatch(again) != nil || !bytes.Equal(again[256:], sent[256:]) {
		t.Fatalf("restamped header %+v", h)
	}
}
