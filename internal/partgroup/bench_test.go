package partgroup

import (
	"encoding/binary"
	"fmt"
	"path"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/vfs"
	"github.com/shoal-io/shoal/internal/wire"
)

// BenchmarkReplicatedSend measures the replicated send path of one
// partition on a three-replica group over an in-memory plane and disks:
// proposal, prepare, journal writes, PrepareOks, commit, apply on the
// owner, reply. depth sends are kept in flight (the pipeline at work).
// The disks are real files in a temporary directory: every prepare is
// fsynced on a quorum, as in production.
func BenchmarkReplicatedSend(b *testing.B) {
	for _, depth := range []int{1, 16} {
		b.Run(fmt.Sprintf("depth-%d", depth), func(b *testing.B) {
			dir := b.TempDir()
			m := newMeshOn(b, 3, 0, func(i int) (vfs.FS, string) { return vfs.Default, path.Join(dir, strconv.Itoa(i)) })
			for m.serving() != 0 { // the first view's primary settles (not timed)
				time.Sleep(time.Millisecond)
			}
			msgs := make([]wire.MessageIn, 100)
			for i := range msgs {
				binary.LittleEndian.PutUint64(msgs[i].ID[:], uint64(i+1))
				msgs[i].Payload = make([]byte, 1024)
			}
			batch, err := wire.AppendBatch(nil, msgs)
			if err != nil {
				b.Fatal(err)
			}
			g := m.ms[0].g.Load()
			sem := make(chan struct{}, depth)
			var wg sync.WaitGroup
			var failed sync.Once
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				sem <- struct{}{}
				wg.Add(1)
				g.Send(uint64(time.Now().UnixMicro()), batch, func(r Result) {
					if r.Status != wire.StatusOK {
						failed.Do(func() { b.Errorf("send: %+v", r) })
					}
					<-sem
					wg.Done()
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
