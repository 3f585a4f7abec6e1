package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// loadHex reads a testdata/golden vector: "size N" then "offset: bytes"
// rows; rows not listed are zero.
func loadHex(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if n, ok := strings.CutPrefix(line, "size "); ok {
			size, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out = make([]byte, size)
			continue
		}
		off, hexBytes, ok := strings.Cut(line, ":")
		if !ok || out == nil {
			t.Fatalf("%s: bad line %q", name, line)
		}
		o, err := strconv.ParseUint(off, 16, 32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := hex.DecodeString(strings.ReplaceAll(hexBytes, " ", ""))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		copy(out[o:], b)
	}
	return out
}

var goldenClient = ClientID{Lo: 0x090a0b0c0d0e0f10, Hi: 0x0102030405060708}

func goVersionInfo(v string) ClientVersionInfo {
	return ClientVersionInfo{Protocol: CurrentProtocolVersion, SDKName: []byte("go-sdk"), SDKVersion: []byte(v)}
}

func requestFrame(h RequestHeader, body []byte) []byte {
	b := make([]byte, HeaderSize+len(body))
	h.Size = uint32(len(b))
	h.Put(b)
	copy(b[HeaderSize:], body)
	return b
}

func TestGoldenRegisterRequest(t *testing.T) {
	want := loadHex(t, "register_request.hex")
	login := LoginPassword{Version: goVersionInfo("0.9.0-edge.4"), Username: []byte("iggy"), Password: []byte("iggy")}
	got := requestFrame(RequestHeader{Client: goldenClient, Operation: OpRegister}, login.Append(nil))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded register request differs:\n got %x\nwant %x", got, want)
	}

	var h RequestHeader
	if err := h.Decode(want); err != nil {
		t.Fatal(err)
	}
	if h.Client != goldenClient || h.Operation != OpRegister || h.Request != 0 || h.Session != 0 || h.Size != 294 {
		t.Fatalf("decoded header %+v", h)
	}
	var l LoginPassword
	if err := l.Decode(want[HeaderSize:]); err != nil {
		t.Fatal(err)
	}
	if l.Version.Protocol != 0x2C00 || string(l.Version.SDKName) != "go-sdk" || string(l.Version.SDKVersion) != "0.9.0-edge.4" ||
		string(l.Username) != "iggy" || string(l.Password) != "iggy" || len(l.Context) != 0 {
		t.Fatalf("decoded login %+v", l)
	}
}

func TestGoldenLoginReplyBody(t *testing.T) {
	want := loadHex(t, "login_reply_body.hex")
	r := LoginReply{UserID: 0, Session: 5, ServerProtocolVersion: CurrentProtocolVersion, ServerVersion: []byte("0.9.0-edge.5")}
	got := r.Append(AppendResultOK(nil))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded login reply differs:\n got %x\nwant %x", got, want)
	}
	payload, status, err := SplitResult(want)
	if err != nil || status != StatusOK {
		t.Fatalf("SplitResult: %v %v", status, err)
	}
	var d LoginReply
	if err := d.Decode(payload); err != nil {
		t.Fatal(err)
	}
	if d.Session != 5 || d.UserID != 0 || d.ServerProtocolVersion != 0x2C00 || string(d.ServerVersion) != "0.9.0-edge.5" {
		t.Fatalf("decoded %+v", d)
	}
}

func TestGoldenNonReplicatedRequests(t *testing.T) {
	for _, tc := range []struct {
		file             string
		request, session uint64
		code             Code
	}{
		{"ping_request.hex", 1, 0, 1},
		{"cluster_metadata_request.hex", 2, 5, 12},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want := loadHex(t, tc.file)
			got := requestFrame(RequestHeader{Client: goldenClient, Operation: OpNonReplicated,
				Request: tc.request, Session: tc.session, Code: tc.code}, nil)
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded differs:\n got %x\nwant %x", got, want)
			}
			var h RequestHeader
			if err := h.Decode(want); err != nil {
				t.Fatal(err)
			}
			if h.Request != tc.request || h.Session != tc.session || h.Code != tc.code || h.Operation != OpNonReplicated {
				t.Fatalf("decoded %+v", h)
			}
		})
	}
}

func TestGoldenCreateStream(t *testing.T) {
	want := loadHex(t, "create_stream_request.hex")
	body := []byte{0x02, 's', '1'}
	got := requestFrame(RequestHeader{Client: goldenClient, Operation: OpCreateStream, Request: 1, Session: 5}, body)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded differs:\n got %x\nwant %x", got, want)
	}
	// wire.md §6.2: a stamped request_checksum would be XXH3_64(02 73 31).
	if c := Checksum(body); c != (Uint128{Lo: 0x2f81b4a25a20bec2}) {
		t.Fatalf("XXH3(02 73 31) = %v", c)
	}
	var h RequestHeader
	if err := h.Decode(want); err != nil {
		t.Fatal(err)
	}
	if !h.CheckRequestChecksum(body) {
		t.Fatal("unstamped checksum must match")
	}
	h.RequestChecksum = Checksum(body)
	if !h.CheckRequestChecksum(body) || h.CheckRequestChecksum([]byte{0x02, 's', '2'}) {
		t.Fatal("stamped checksum must match only its body")
	}
}

func TestGoldenCommitSeal(t *testing.T) {
	want := loadHex(t, "commit_sealed.hex")
	got := make([]byte, HeaderSize)
	h := CommitHeader{Prefix: Prefix{View: 1}, TimestampMonotonic: 3, Commit: 7, Group: MetadataGroup}
	h.Put(got)
	SealFrame(got)
	if !bytes.Equal(got, want) {
		t.Fatalf("sealed commit differs:\n got %x\nwant %x", got, want)
	}
	if err := VerifyFrame(want); err != nil {
		t.Fatal(err)
	}
	var d CommitHeader
	if err := d.Decode(want); err != nil {
		t.Fatal(err)
	}
	if d.Commit != 7 || d.TimestampMonotonic != 3 || d.Group != MetadataGroup || d.View != 1 ||
		d.Checksum != (Uint128{Lo: 0xf71ad354c3c81791}) {
		t.Fatalf("decoded %+v", d)
	}
}

// wire.md §6.3/§6.4: the message and batch checksums of a SendMessages body,
// cross-checked there against the C reference implementation.
func TestGoldenXXH3(t *testing.T) {
	if c := Checksum(nil); c.Lo != 0x2d06800538d394c2 || c.Hi != 0 {
		t.Fatalf("XXH3(\"\") = %v", c)
	}
	id, _ := hex.DecodeString("112233445566778899aabbccddeeff01")
	msg := append(id, make([]byte, 24)...)
	msg[16+12] = 9 // payload_length at frame offset 36
	msg = append(msg, "message 0"...)
	if c := Checksum(msg); c.Lo != 0xb26d0e9da0103d89 {
		t.Fatalf("message checksum %v", c)
	}
	var batch []byte
	for _, v := range []uint64{0, 0, 0, 1700000000000000, 313} {
		batch = append(batch, le64(v)...)
	}
	batch = append(batch, 1, 0, 0, 0)
	batch = append(batch, le64(0xb26d0e9da0103d89)...)
	if c := Checksum(batch); c.Lo != 0xc636bd46d10f9e76 {
		t.Fatalf("batch checksum %v", c)
	}
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	put64(b, 0, v)
	return b
}
