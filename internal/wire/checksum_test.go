package wire

import (
	"bytes"
	"errors"
	"testing"
)

func sealedFrame(body int) []byte {
	b := make([]byte, HeaderSize+body)
	h := DoViewChangeHeader{Prefix: Prefix{Size: uint32(len(b)), View: 4, Cluster: u128a}, Op: 9, Commit: 3, LogView: 2}
	h.Put(b)
	for i := HeaderSize; i < len(b); i++ {
		b[i] = byte(i * 7)
	}
	SealFrame(b)
	return b
}

func TestSealFrameCoversEveryByte(t *testing.T) {
	for _, body := range []int{0, HeaderSize, 3 * HeaderSize} {
		b := sealedFrame(body)
		if err := VerifyFrame(b); err != nil {
			t.Fatalf("body %d: fresh seal: %v", body, err)
		}
		if body == 0 && !getU128(b[offChecksumBody:]).IsZero() {
			t.Fatal("header-only frame must carry checksum_body 0")
		}
		for i := range b {
			c := bytes.Clone(b)
			c[i] ^= 0x01
			if err := VerifyFrame(c); !errors.Is(err, ErrChecksum) {
				t.Fatalf("body %d: flipped byte %d: %v, want ErrChecksum", body, i, err)
			}
		}
	}
}

func TestVerifyFrameSkipsUnsealed(t *testing.T) {
	b := frameOf(headerCases()[1]) // Request: unsealed, checksum 0
	if err := VerifyFrame(b); err != nil {
		t.Fatalf("unsealed request: %v", err)
	}
}

func TestReaderVerifySeals(t *testing.T) {
	good := sealedFrame(HeaderSize)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 0xFF
	stream := append(bytes.Clone(good), bad...)
	r := NewReader(bytes.NewReader(stream), 0)
	r.VerifySeals = true
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	f.Release()
	if _, err := r.ReadFrame(); !errors.Is(err, ErrChecksum) {
		t.Fatalf("corrupted body: %v, want ErrChecksum", err)
	}
}

func TestPrepareIdentity(t *testing.T) {
	b := make([]byte, HeaderSize+32)
	h := PrepareHeader{Prefix: Prefix{Size: uint32(len(b)), View: 1}, Client: client, Op: 5, Operation: OpCreateStream, Group: MetadataGroup}
	h.Put(b)
	copy(b[HeaderSize:], "some metadata operation body....")
	StampPrepare(b)
	if err := VerifyPrepare(b); err != nil {
		t.Fatal(err)
	}
	id := getU128(b[offChecksum:])

	// A re-stamped prepare in a later view keeps its identity.
	put32(b, offView, 7)
	if PrepareIdentity(b) != id {
		t.Fatal("identity depends on view")
	}
	if err := VerifyPrepare(b); err != nil {
		t.Fatalf("after view change: %v", err)
	}
	// A RepairPrepare is the journaled prepare sent back verbatim with
	// command 19 (spec/vsr.md §1.7): it keeps, and verifies as, the
	// identity of the Prepare it carries, so the bus's reader passes it on
	// to the core (which verifies it the same way) instead of closing the
	// connection.
	rp := bytes.Clone(b)
	rp[offCommand] = byte(CommandRepairPrepare)
	if PrepareIdentity(rp) != id {
		t.Fatal("a RepairPrepare's identity differs from its Prepare's")
	}
	if err := VerifyPrepare(rp); err != nil {
		t.Fatalf("RepairPrepare of a valid prepare: %v", err)
	}
	// Any other header byte or body byte breaks it.
	for _, i := range []int{offSize, offCommand + 1, 176, 216, HeaderSize + 3} {
		c := bytes.Clone(b)
		c[i] ^= 1
		if err := VerifyPrepare(c); !errors.Is(err, ErrChecksum) {
			t.Fatalf("flipped byte %d: %v", i, err)
		}
	}
	// The next prepare chains to it.
	next := PrepareHeader{Prefix: Prefix{Size: HeaderSize}, Parent: id, Op: 6}
	if next.Parent != PrepareIdentity(b) {
		t.Fatal("parent chain")
	}
}
