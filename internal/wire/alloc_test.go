package wire

import (
	"bytes"
	"testing"
)

// Header encode and decode, checksums and steady-state frame reads do not
// allocate (STYLE.md rule 19).
func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	buf := make([]byte, 4096)
	for _, tc := range headerCases() {
		frame := frameOf(tc)
		dst := tc.new()
		if n := testing.AllocsPerRun(100, func() { tc.h.Put(buf) }); n != 0 {
			t.Errorf("%s Put: %v allocs", tc.name, n)
		}
		if n := testing.AllocsPerRun(100, func() {
			if err := dst.Decode(frame); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s Decode: %v allocs", tc.name, n)
		}
	}
	sealed := sealedFrame(HeaderSize)
	if n := testing.AllocsPerRun(100, func() { SealFrame(sealed) }); n != 0 {
		t.Errorf("SealFrame: %v allocs", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		if VerifyFrame(sealed) != nil {
			t.Fatal("verify")
		}
	}); n != 0 {
		t.Errorf("VerifyFrame: %v allocs", n)
	}
	if n := testing.AllocsPerRun(100, func() { PrepareIdentity(sealed) }); n != 0 {
		t.Errorf("PrepareIdentity: %v allocs", n)
	}
	body := (&LoginPassword{Version: goVersionInfo("1"), Username: []byte("u"), Password: []byte("p")}).Append(nil)
	var lp LoginPassword
	if n := testing.AllocsPerRun(100, func() {
		if lp.Decode(body) != nil {
			t.Fatal("decode")
		}
	}); n != 0 {
		t.Errorf("LoginPassword.Decode: %v allocs", n)
	}
}

func TestReadFrameSteadyStateAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage instrumentation allocates; the race detector drops pooled buffers")
	}
	frame := frameOf(headerCases()[1])
	src := bytes.NewReader(frame)
	r := NewReader(src, 0)
	read := func() {
		src.Reset(frame)
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
	}
	read() // warm the pool
	if n := testing.AllocsPerRun(1000, read); n != 0 {
		t.Errorf("ReadFrame: %v allocs per frame", n)
	}
}

func TestSendMessagesDecodeAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	body := sampleSend(t, 10)
	var s SendMessages
	if n := testing.AllocsPerRun(100, func() {
		if err := s.Decode(body); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("SendMessages.Decode: %v allocs", n)
	}
}
