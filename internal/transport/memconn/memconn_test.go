package memconn

import (
	"context"
	"testing"

	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, max uint32) transporttest.Pair {
		l := Listen(max)
		defer l.Close()
		type res struct {
			c   *Conn
			err error
		}
		ch := make(chan res, 1)
		go func() {
			c, err := l.Dial(context.Background())
			ch <- res{c, err}
		}()
		p, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		server, err := p.Handshake(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		client := r.c
		return transporttest.Pair{Client: client, Server: server, Truncate: func(f []byte, n int) error {
			err := client.WriteRaw(f[:n])
			client.Close()
			return err
		}}
	})
}
