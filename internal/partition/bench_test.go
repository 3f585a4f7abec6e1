package partition

import (
	"path/filepath"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// BenchmarkAppend appends batches of 1000 × 1 KiB messages to real files:
// with fsync after every batch (enforce_fsync), and with fsync left to a
// 1 GiB policy (so almost never inside the measured loop).
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"fsync=off", Config{MessagesRequiredToSave: 1 << 24, SizeRequiredToSave: 1 << 30}},
		{"fsync=on", Config{EnforceFsync: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p, err := Open(vfs.Default, filepath.Join(b.TempDir(), "p"), 0, bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			batch := makeBatch(b, 0, 1000, 1024)
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := p.Append(batch, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/msg")
		})
	}
}

// BenchmarkPoll polls 1000 messages (1 KiB each) from a partition of
// 20 000, on real files: aligned on stored batches, and starting mid-batch
// (two stored batches cut).
func BenchmarkPoll(b *testing.B) {
	p, err := Open(vfs.Default, filepath.Join(b.TempDir(), "p"), 0, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	const batches = 20
	for i := range batches {
		if _, err := p.Append(makeBatch(b, uint64(i*1000), 1000, 1024), uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name  string
		shift uint64
	}{{"aligned", 0}, {"mid-batch", 500}} {
		b.Run(bc.name, func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				from := uint64(i%(batches-1))*1000 + bc.shift
				var res PollResult
				buf, res, err = p.Poll(buf[:0], PollRequest{Strategy: wire.PollingStrategy{Kind: wire.PollOffset, Value: from}, Count: 1000})
				if err != nil || res.Messages != 1000 {
					b.Fatalf("poll at %d: %d messages, %v", from, res.Messages, err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
