package wire

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkRequestPut(b *testing.B) {
	h := RequestHeader{Prefix: Prefix{Size: 1280}, Client: client, Request: 9, Operation: OpSendMessages, Session: 3}
	buf := make([]byte, HeaderSize)
	b.ReportAllocs()
	b.SetBytes(HeaderSize)
	for b.Loop() {
		h.Put(buf)
	}
}

func BenchmarkRequestDecode(b *testing.B) {
	buf := make([]byte, HeaderSize)
	(&RequestHeader{Prefix: Prefix{Size: 1280}, Client: client, Request: 9, Operation: OpSendMessages, Session: 3}).Put(buf)
	var h RequestHeader
	b.ReportAllocs()
	b.SetBytes(HeaderSize)
	for b.Loop() {
		if err := h.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepareStamp(b *testing.B) {
	frame := make([]byte, HeaderSize+1024)
	(&PrepareHeader{Prefix: Prefix{Size: uint32(len(frame))}, Client: client, Op: 1}).Put(frame)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		StampPrepare(frame)
	}
}

func BenchmarkSealVerify(b *testing.B) {
	frame := sealedFrame(4 * HeaderSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		SealFrame(frame)
		if err := VerifyFrame(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// loopReader replays one stream forever, so the benchmark measures the
// reader, not the source.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	if l.off == len(l.data) {
		l.off = 0
	}
	n := copy(p, l.data[l.off:])
	l.off += n
	return n, nil
}

var _ io.Reader = (*loopReader)(nil)

func benchmarkReadFrame(b *testing.B, body int) {
	frame := make([]byte, HeaderSize+body)
	(&RequestHeader{Prefix: Prefix{Size: uint32(len(frame))}, Client: client, Request: 1, Operation: OpSendMessages, Session: 1}).Put(frame)
	r := NewReader(&loopReader{data: bytes.Repeat(frame, 16)}, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		f, err := r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		f.Release()
	}
}

func BenchmarkReadFrame(b *testing.B) {
	b.Run("header-only", func(b *testing.B) { benchmarkReadFrame(b, 0) })
	b.Run("1KiB", func(b *testing.B) { benchmarkReadFrame(b, 1024) })
	b.Run("64KiB", func(b *testing.B) { benchmarkReadFrame(b, 64<<10) })
}

// BenchmarkSendMessagesDecode is server admission of a produce request:
// 1000 messages of 1 KiB, every checksum verified.
func BenchmarkSendMessagesDecode(b *testing.B) {
	msgs := make([]MessageIn, 1000)
	payload := bytes.Repeat([]byte{'x'}, 1024)
	for i := range msgs {
		msgs[i] = MessageIn{ID: [16]byte{byte(i), byte(i >> 8)}, OriginTimestamp: uint64(i), Payload: payload}
	}
	body, err := AppendSendMessages(nil, NumericID(0), NumericID(0), Partitioning{Kind: PartitionByID}, msgs)
	if err != nil {
		b.Fatal(err)
	}
	var s SendMessages
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := s.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsumerOffsetDecode decodes a StoreConsumerOffset body with
// numeric identifiers.
func BenchmarkConsumerOffsetDecode(b *testing.B) {
	body := (&ConsumerOffsetRequest{Consumer: Consumer{ConsumerSingle, NumericID(1)}, Stream: NumericID(2), Topic: NumericID(3),
		HasPartition: true, Partition: 4, Offset: 5, Ack: 1}).Append(OffsetStore, nil)
	var req ConsumerOffsetRequest
	b.ReportAllocs()
	for b.Loop() {
		if req.Decode(OffsetStore, body) != StatusOK {
			b.Fatal("decode")
		}
	}
}

// BenchmarkTopicDetailsDecode decodes GetTopic's reply (16 partitions).
func BenchmarkTopicDetailsDecode(b *testing.B) {
	t := sampleTopic(0, 16)
	body := t.Append(nil)
	var d TopicDetails
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}
