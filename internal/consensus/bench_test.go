package consensus

import (
	"fmt"
	"testing"
	"time"

	"github.com/shoal-io/shoal/internal/wire"
)

// BenchmarkCommit measures proposals committed per second by three
// in-process nodes over the real replica plane (loopback TCP, BLAKE3
// handshake, each node on its own shard runtime) with vsrlog on the OS file
// system (real fsyncs): pipeline clients each keep one request in flight
// (VSR allows one per client), sent to the primary; a reply is the commit.
func BenchmarkCommit(b *testing.B) {
	for _, pipeline := range []int{1, 8} {
		b.Run(fmt.Sprint("pipeline=", pipeline), func(b *testing.B) {
			c := newCluster(b, 3, tcpPlane, osDisk)
			c.start()
			replies := make(chan []byte, 1024)
			cls := make(map[wire.ClientID]*client, pipeline)
			for i := range pipeline {
				cl := c.newClient(uint64(i + 1))
				cl.register()
				cl.replies = replies
				cls[cl.id] = cl
			}
			p := c.primary().node
			body := make([]byte, 128)
			busy := make(map[wire.ClientID]bool, pipeline) // a request in flight
			issue := func(cl *client) {
				cl.req++
				busy[cl.id] = true
				if err := p.Propose(cl.frame(body)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			sent, done := 0, 0
			for _, cl := range cls {
				if sent < b.N {
					issue(cl)
					sent++
				}
			}
			retry := time.NewTicker(time.Second)
			defer retry.Stop()
			for done < b.N {
				select {
				case f := <-replies:
					var h wire.ReplyHeader
					if h.Decode(f) != nil {
						b.Fatal("bad reply")
					}
					cl := cls[h.Client]
					if cl == nil || h.Request != cl.req || !busy[cl.id] {
						continue
					}
					busy[cl.id] = false
					done++
					if sent < b.N {
						issue(cl)
						sent++
					}
				case <-retry.C: // a lost request: resend what is outstanding
					for _, cl := range cls {
						if busy[cl.id] {
							p.Propose(cl.frame(body))
						}
					}
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
		})
	}
}
