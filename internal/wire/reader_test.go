package wire

import (
	"errors"
	"testing"
)

// fieldsBody holds one of each field BodyReader reads, in readFields'
// order.
func fieldsBody() []byte {
	b := []byte{7, 0x34, 0x12}                          // u8, u16
	b = appendU32(b, 0xdeadbeef)                        // u32
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8)               // u64
	b = append(b, 1)                                    // flag
	b = appendName(b, []byte("näme"))                   // Name
	b = appendStr8(b, "")                               // Str8, empty
	b = appendLongString(b, "long")                     // String32
	b = NamedID("stream").Append(b)                     // Identifier
	b = Consumer{ConsumerGroup, NumericID(9)}.Append(b) // Consumer
	return append(b, 0xaa, 0xbb)                        // Bytes(2)
}

type fields struct {
	u8           uint8
	u16          uint16
	u32          uint32
	u64          uint64
	flag         bool
	name, s8, sl string
	id           Identifier
	cons         Consumer
	raw          []byte
}

func readFields(r *BodyReader) fields {
	return fields{u8: r.U8(), u16: r.U16(), u32: r.U32(), u64: r.U64(), flag: r.Flag(), name: r.Name(), s8: r.Str8(),
		sl: r.String32(), id: r.Identifier(), cons: r.Consumer(), raw: r.Bytes(2)}
}

func TestBodyReaderFields(t *testing.T) {
	body := fieldsBody()
	r := NewBodyReader(body)
	f := readFields(&r)
	if err := r.End(); err != nil {
		t.Fatal(err)
	}
	if f.u8 != 7 || f.u16 != 0x1234 || f.u32 != 0xdeadbeef || f.u64 != 0x0807060504030201 || !f.flag ||
		f.name != "näme" || f.s8 != "" || f.sl != "long" || f.id.String() != `"stream"` ||
		f.cons.Kind != ConsumerGroup || f.cons.ID.ID != 9 || string(f.raw) != "\xaa\xbb" {
		t.Fatalf("%+v", f)
	}
	if r.Status() != StatusOK || r.Pos() != len(body) || r.Len() != 0 {
		t.Fatalf("status %v pos %d len %d", r.Status(), r.Pos(), r.Len())
	}
	// Identifier copies its name: the body may be reused.
	for i := range body {
		body[i] = 0
	}
	if string(f.id.Name) != "stream" {
		t.Fatalf("identifier aliases the body: %q", f.id.Name)
	}
}

// Every strict prefix fails, the failure sticks (every later read is a
// zero value) and the status is InvalidCommand.
func TestBodyReaderTruncation(t *testing.T) {
	body := fieldsBody()
	for n := range len(body) {
		r := NewBodyReader(body[:n])
		readFields(&r)
		if !errors.Is(r.Err(), ErrMalformedBody) || r.Status() != StatusInvalidCommand {
			t.Fatalf("prefix %d: %v %v", n, r.Err(), r.Status())
		}
		if r.U8() != 0 || r.U64() != 0 || r.Rest() != nil {
			t.Fatalf("prefix %d: reads after a failure return values", n)
		}
	}
}

func TestBodyReaderRejects(t *testing.T) {
	for name, tc := range map[string]struct {
		body []byte
		read func(r *BodyReader)
	}{
		"flag 2":             {[]byte{2}, func(r *BodyReader) { r.Flag() }},
		"empty name":         {[]byte{0}, func(r *BodyReader) { r.Name() }},
		"name not utf-8":     {[]byte{1, 0xff}, func(r *BodyReader) { r.Name() }},
		"string32 not utf-8": {[]byte{1, 0, 0, 0, 0xff}, func(r *BodyReader) { r.String32() }},
		"numeric of 3":       {[]byte{1, 3, 0, 0, 0}, func(r *BodyReader) { r.Identifier() }},
		"empty id name":      {[]byte{2, 0}, func(r *BodyReader) { r.Identifier() }},
		"id kind 3":          {[]byte{3, 1, 'a'}, func(r *BodyReader) { r.Identifier() }},
		"id not utf-8":       {[]byte{2, 1, 0xff}, func(r *BodyReader) { r.Identifier() }},
		"consumer kind 3":    {[]byte{3, 1, 4, 0, 0, 0, 0}, func(r *BodyReader) { r.Consumer() }},
		"trailing byte":      {[]byte{1, 2}, func(r *BodyReader) { r.U8(); r.End() }},
		"negative bytes":     {[]byte{1}, func(r *BodyReader) { r.Bytes(-1) }},
		"count past the end": {[]byte{1, 2, 3}, func(r *BodyReader) { r.counted(2, 2) }},
		"fail":               {nil, func(r *BodyReader) { r.Fail("ack %d", 2) }},
	} {
		r := NewBodyReader(tc.body)
		tc.read(&r)
		if !errors.Is(r.Err(), ErrMalformedBody) {
			t.Errorf("%s: %v", name, r.Err())
		}
	}
	// Str8 takes what its length says, empty or not UTF-8.
	r := NewBodyReader([]byte{1, 0xff})
	if s := r.Str8(); s != "\xff" || r.Err() != nil {
		t.Fatalf("Str8 %q %v", s, r.Err())
	}
}

// looseIdent is the user commands' identifier: odd kinds and lengths name
// nothing rather than fail; only a short body fails.
func TestBodyReaderLooseIdentifier(t *testing.T) {
	for _, tc := range []struct {
		body []byte
		want Identifier
		bad  bool
	}{
		{NumericID(5).Append(nil), NumericID(5), false},
		{[]byte{2, 2, 'a', 'b'}, NamedID("ab"), false},
		{[]byte{2, 0}, Identifier{Kind: IdentifierString, Name: []byte{}}, false},
		{[]byte{2, 1, 0xff}, Identifier{Kind: IdentifierString, Name: []byte{0xff}}, false},
		{[]byte{1, 3, 0, 0, 0}, Identifier{}, false},
		{[]byte{9, 1, 'x'}, Identifier{}, false},
		{[]byte{2, 3, 'a'}, Identifier{}, true},
		{[]byte{1}, Identifier{}, true},
	} {
		r := NewBodyReader(tc.body)
		got := r.looseIdent()
		if got.Kind != tc.want.Kind || got.ID != tc.want.ID || string(got.Name) != string(tc.want.Name) || (r.Err() != nil) != tc.bad {
			t.Errorf("% x: %+v %v", tc.body, got, r.Err())
		}
	}
}

func TestBodyReaderAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	body := fieldsBody()
	// Name, String32 and the identifier's name copy: three allocations
	// (the empty Str8 and the numeric consumer copy nothing).
	if n := testing.AllocsPerRun(100, func() {
		r := NewBodyReader(body)
		readFields(&r)
		if r.End() != nil {
			t.Fatal(r.Err())
		}
	}); n != 3 {
		t.Errorf("%v allocs, want 3", n)
	}
}
