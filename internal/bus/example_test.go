package bus_test

import (
	"context"
	"fmt"

	"github.com/shoal-io/shoal/internal/bus"
	"github.com/shoal-io/shoal/internal/transport/tcp"
	"github.com/shoal-io/shoal/internal/wire"
)

// An echo server on one shard's bus: the accepted TCP connection is handed
// to the bus (handshake and install on the owning shard), its reader
// delivers each Request to OnRequest, which turns it into a Reply and sends
// it back through SendToClient and the connection's writer.
func Example_echo() {
	ctx := context.Background()
	var b *bus.Bus
	b = bus.New(0, bus.DefaultConfig(), bus.Hooks{
		OnRequest: func(id wire.ClientID, f *wire.Frame) {
			f.Bytes()[60] = byte(wire.CommandReply) // the command byte
			if err := b.SendToClient(id, f); err != nil {
				f.Release()
			}
		},
	})

	l, err := tcp.Listen(ctx, "127.0.0.1:0", tcp.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer l.Close()
	client, err := tcp.Dial(ctx, l.Addr().String(), tcp.DefaultConfig())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	p, err := l.Accept()
	if err != nil {
		panic(err)
	}
	id := wire.NewClientID(0, 1) // shard 0, sequence 1
	if err := b.AcceptClient(id, p); err != nil {
		panic(err)
	}

	req := make([]byte, wire.HeaderSize+5)
	h := wire.RequestHeader{Prefix: wire.Prefix{Size: uint32(len(req))}, Client: id, Operation: wire.OpRegister}
	h.Put(req)
	copy(req[wire.HeaderSize:], "hello")
	if err := client.SendBatch([][]byte{req}); err != nil {
		panic(err)
	}
	rep, err := client.ReadFrame()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v %q\n", rep.Command(), rep.Body())
	rep.Release()

	out := b.Shutdown(ctx)
	fmt.Printf("clean %d, forced %d\n", out.Clean, out.Forced)
	// Output:
	// Reply "hello"
	// clean 1, forced 0
}
