package journal

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/shoal-io/shoal/internal/vfs"
)

// BenchmarkAppend measures Append alone (a write(2) per record into the page
// cache) on the OS file system.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{128, 4096} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) { benchAppend(b, size, false) })
	}
}

// BenchmarkAppendSync measures Append followed by Sync (fsync) per record:
// the cost of acknowledging one durable record.
func BenchmarkAppendSync(b *testing.B) {
	for _, size := range []int{128, 4096} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) { benchAppend(b, size, true) })
	}
}

func benchAppend(b *testing.B, size int, sync bool) {
	j, err := Open(vfs.Default, filepath.Join(b.TempDir(), "j.log"), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	p := payload(1, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.Append(p); err != nil {
			b.Fatal(err)
		}
		if sync {
			if err := j.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkAppendBatchSync measures group commit: 64 appends of 128 bytes
// and one Sync per iteration; ns/op is per batch.
func BenchmarkAppendBatchSync(b *testing.B) {
	j, err := Open(vfs.Default, filepath.Join(b.TempDir(), "j.log"), Options{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	p := payload(1, 128)
	b.SetBytes(64 * 128)
	b.ReportAllocs()
	for b.Loop() {
		for range 64 {
			if _, err := j.Append(p); err != nil {
				b.Fatal(err)
			}
		}
		if err := j.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
