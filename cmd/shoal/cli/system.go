package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/shoal-io/shoal/client"
	"github.com/shoal-io/shoal/internal/wire"
)

func runPing(ctx context.Context, c *client.Client, out io.Writer, _ []string) error {
	start := time.Now()
	if err := c.Ping(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "pong in %v\n", time.Since(start).Round(time.Microsecond))
	return nil
}

func runMe(ctx context.Context, c *client.Client, out io.Writer, _ []string) error {
	b, err := c.Request(ctx, client.OpNonReplicated, client.CodeMe, nil)
	if err != nil {
		return err
	}
	info, _, err := wire.DecodeClientInfo(b, true)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "server\t%s\nclient id\t%d\nuser id\t%d\ntransport\t%s\naddress\t%s\nconsumer groups\t%d\n",
		c.Addr(), info.ID, info.UserID, transportName(info.Transport), info.Address, len(info.Groups))
	return w.Flush()
}

func runStats(ctx context.Context, c *client.Client, out io.Writer, _ []string) error {
	b, err := c.Request(ctx, client.OpNonReplicated, client.CodeStats, nil)
	if err != nil {
		return err
	}
	var s wire.Stats
	if err := s.Decode(b); err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "server version\t%s\nhostname\t%s\nos\t%s %s\nprocess id\t%d\nuptime\t%v\n",
		s.ServerVersion, s.Hostname, s.OSName, s.KernelVersion, s.ProcessID, (time.Duration(s.RunTime) * time.Microsecond).Round(time.Second))
	fmt.Fprintf(w, "memory\t%s of %s (%s available)\ndisk\t%s free of %s\n",
		byteSize(s.MemoryUsage), byteSize(s.TotalMemory), byteSize(s.AvailableMemory), byteSize(s.FreeDiskSpace), byteSize(s.TotalDiskSpace))
	fmt.Fprintf(w, "clients\t%d\nstreams\t%d\ntopics\t%d\npartitions\t%d\nmessages\t%d\n",
		s.ClientsCount, s.StreamsCount, s.TopicsCount, s.PartitionsCount, s.MessagesCount)
	return w.Flush()
}

func runCluster(ctx context.Context, c *client.Client, out io.Writer, _ []string) error {
	m, err := c.ClusterMetadata(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cluster %s\n", m.Name)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tIP\tTCP\tQUIC\tHTTP\tWEBSOCKET\tROLE\tSTATUS")
	for _, n := range m.Nodes {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%v\t%v\n", n.Name, n.IP, n.TCP, n.QUIC, n.HTTP, n.WebSocket, n.Role, n.Status)
	}
	return w.Flush()
}

func transportName(t wire.ClientTransport) string {
	switch t {
	case wire.ClientTransportTCP:
		return "tcp"
	case wire.ClientTransportQUIC:
		return "quic"
	case wire.ClientTransportWebSocket:
		return "websocket"
	}
	return fmt.Sprintf("unknown (%d)", t)
}

func byteSize(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
