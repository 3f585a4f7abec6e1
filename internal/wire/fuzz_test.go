package wire

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz seed corpora from the real frames in the tests")

// seedFrames are real frames: the golden vectors and one frame of every
// header type.
func seedFrames(t testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"register_request.hex", "ping_request.hex", "cluster_metadata_request.hex",
		"create_stream_request.hex", "commit_sealed.hex"} {
		out = append(out, loadHex(t, name))
	}
	for _, tc := range headerCases() {
		out = append(out, frameOf(tc))
	}
	return out
}

// FuzzReadFrame feeds arbitrary streams to the frame reader: it must never
// panic, must return frames whose length equals their size field within the
// bounds, and must stop with a framing error or EOF.
func FuzzReadFrame(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 1 << 16
		r := NewReader(bytes.NewReader(data), max)
		r.VerifySeals = len(data)%2 == 0
		consumed := 0
		for {
			fr, err := r.ReadFrame()
			if err != nil {
				if err == io.EOF && consumed != len(data) {
					t.Fatalf("io.EOF after %d of %d bytes", consumed, len(data))
				}
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, ErrFrameTooSmall) &&
					!errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrUnknownCommand) && !errors.Is(err, ErrChecksum) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			n := fr.Len()
			if n < HeaderSize || n > max || int(PeekSize(fr.Header())) != n || !fr.Command().Valid() {
				t.Fatalf("bad frame: len %d size %d cmd %d", n, PeekSize(fr.Header()), fr.Command())
			}
			if !bytes.Equal(fr.Bytes(), data[consumed:consumed+n]) {
				t.Fatal("frame bytes differ from the stream")
			}
			consumed += n
			fr.Release()
		}
	})
}

// FuzzDecodeHeader runs every typed decoder on arbitrary bytes: no panics,
// and whatever decodes re-encodes to a header that decodes to the same value.
func FuzzDecodeHeader(f *testing.F) {
	for _, s := range seedFrames(f) {
		f.Add(s[:HeaderSize])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tc := range headerCases() {
			h := tc.new()
			if h.Decode(data) != nil {
				continue
			}
			buf := make([]byte, HeaderSize)
			h.Put(buf)
			again := tc.new()
			if err := again.Decode(buf); err != nil {
				t.Fatalf("%s: re-encoded header fails: %v", tc.name, err)
			}
			if fmt.Sprint(again) != fmt.Sprint(h) {
				t.Fatalf("%s: re-decode differs:\n%+v\n%+v", tc.name, again, h)
			}
		}
		_ = VerifyFrame(append(data, make([]byte, HeaderSize)...))
	})
}

// FuzzSessionBodies runs the session body decoders on arbitrary bytes.
func FuzzSessionBodies(f *testing.F) {
	f.Add(loadHex(f, "register_request.hex")[HeaderSize:])
	f.Add(loadHex(f, "login_reply_body.hex"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var lp LoginPassword
		if lp.Decode(data) == nil {
			if again := lp.Append(nil); !bytes.HasPrefix(data, again) {
				t.Fatalf("password body does not re-encode to its prefix")
			}
		}
		var lt LoginToken
		_ = lt.Decode(data)
		var lr LoginReply
		_ = lr.Decode(data)
		_, _, _ = SplitResult(data)
	})
}

// TestWriteSeedCorpus keeps testdata/fuzz in step with the real frames:
// run `go test ./internal/wire -run TestWriteSeedCorpus -update-corpus`.
func TestWriteSeedCorpus(t *testing.T) {
	if !*updateCorpus {
		t.Skip("pass -update-corpus to rewrite testdata/fuzz")
	}
	write := func(target string, i int, data []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	frames := seedFrames(t)
	var stream []byte
	for i, fr := range frames {
		write("FuzzReadFrame", i, fr)
		write("FuzzDecodeHeader", i, fr[:HeaderSize])
		stream = append(stream, fr...)
	}
	write("FuzzReadFrame", len(frames), stream)
	write("FuzzSessionBodies", 0, loadHex(t, "register_request.hex")[HeaderSize:])
	write("FuzzSessionBodies", 1, loadHex(t, "login_reply_body.hex"))
	write("FuzzSendMessages", 0, loadHex(t, "send_messages_body.hex"))
	write("FuzzSendMessages", 1, sampleSend(t, 3))
	write("FuzzPollMessages", 0, (&PollMessages{Consumer: Consumer{Kind: ConsumerGroup, ID: NumericID(1)}, Stream: NamedID("s"),
		Topic: NumericID(0), HasPartition: true, Partition: 2, Strategy: PollingStrategy{Kind: PollNext}, Count: 2, AutoCommit: true}).Append(nil))
}
