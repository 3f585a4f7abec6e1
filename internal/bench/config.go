package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Workload names.
const (
	Echo                      = "echo"
	PinnedProducer            = "pinned-producer"
	PinnedConsumer            = "pinned-consumer"
	PinnedProducerAndConsumer = "pinned-producer-and-consumer"
	BalancedConsumerGroup     = "balanced-consumer-group"
)

// Workloads lists every workload in the order a suite runs them.
var Workloads = []string{Echo, PinnedProducer, PinnedConsumer, PinnedProducerAndConsumer, BalancedConsumerGroup}

// Transports lists the transports a Shoal client can use.
var Transports = []string{"tcp", "tls", "ws", "wss", "quic"}

// Comparisons lists the --compare targets.
var Comparisons = []string{"nats", "floor"}

// Config is one invocation of the tool.
type Config struct {
	Workloads  []string
	Transports []string
	Compare    []string

	Producers   int // producing connections
	Consumers   int // consuming connections
	Connections int // echo connections
	Streams     int
	Partitions  int // per topic
	Batch       int // messages per send or poll
	Size        int // payload bytes per message

	Messages int64         // per run and role; 0 runs for Duration
	Duration time.Duration // per run when Messages is 0
	Rate     int64         // messages/s per producing role; 0 is unlimited

	ServerAddress string // external Shoal server; empty starts one in-process
	Cluster       bool   // start a three-node Shoal cluster (and an R3 NATS cluster for -compare nats)
	ServerBinary  string // shoal-server binary for Cluster; empty builds one
	Rounds        int    // Cluster: times each workload's targets run, one after the other
	Username      string
	Password      string
	NATSServer    string // nats-server binary

	JSON     bool   // print the results as JSON instead of the table
	Report   string // write an HTML report here
	Progress bool   // progress line on stderr
	Tick     time.Duration
}

// DefaultConfig returns the defaults of the flags.
func DefaultConfig() Config {
	return Config{
		Workloads: []string{Echo}, Transports: []string{"tcp"},
		Producers: 2, Consumers: 2, Connections: 2, Streams: 2, Partitions: 1, Batch: 100, Size: 1000,
		Duration: 5 * time.Second, Username: "iggy", Password: "iggy", NATSServer: "nats-server", Rounds: 1,
		Progress: true, Tick: 250 * time.Millisecond,
	}
}

// list is a comma-separated flag value checked against a set; "all"
// selects the whole set.
type list struct {
	dst   *[]string
	valid []string
}

func (l list) String() string {
	if l.dst == nil {
		return ""
	}
	return strings.Join(*l.dst, ",")
}

func (l list) Set(s string) error {
	if s == "all" {
		*l.dst = slices.Clone(l.valid)
		return nil
	}
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !slices.Contains(l.valid, v) {
			return fmt.Errorf("unknown %q (want one of %s or all)", v, strings.Join(l.valid, ", "))
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	*l.dst = out
	return nil
}

// ParseFlags reads the command line into a Config. Help (-h) returns
// flag.ErrHelp after printing the usage to out.
func ParseFlags(args []string, out io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("shoal-bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Var(list{&c.Workloads, Workloads}, "workload", "comma-separated workloads: "+strings.Join(Workloads, ", ")+", or all")
	fs.Var(list{&c.Transports, Transports}, "transport", "comma-separated transports: "+strings.Join(Transports, ", ")+", or all")
	fs.Var(list{&c.Compare, Comparisons}, "compare", "also run the shapes against: nats (nats-server on PATH), floor (raw framed TCP echo)")
	fs.IntVar(&c.Producers, "producers", c.Producers, "producing connections")
	fs.IntVar(&c.Consumers, "consumers", c.Consumers, "consuming connections")
	fs.IntVar(&c.Connections, "connections", c.Connections, "echo connections")
	fs.IntVar(&c.Streams, "streams", c.Streams, "streams (pinned workloads map actor i to stream i mod streams)")
	fs.IntVar(&c.Partitions, "partitions", c.Partitions, "partitions per topic")
	fs.IntVar(&c.Batch, "batch", c.Batch, "messages per batch (send and poll)")
	fs.IntVar(&c.Size, "size", c.Size, "message payload size in bytes")
	fs.Int64Var(&c.Messages, "messages", c.Messages, "messages per run (0: run for -duration)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of each run when -messages is 0")
	fs.Int64Var(&c.Rate, "rate", c.Rate, "limit producers (or echo) to this many messages/s in total (0: unlimited)")
	fs.StringVar(&c.ServerAddress, "server-address", "", "benchmark an external Shoal server at host:port instead of an in-process one")
	fs.BoolVar(&c.Cluster, "cluster", false, "start a three-node Shoal cluster (shoal-server processes) instead of an in-process server; "+
		"-compare nats then starts a three-node JetStream cluster and compares R3 streams")
	fs.StringVar(&c.ServerBinary, "server-binary", "", "shoal-server binary for -cluster (default: go build it into a temp dir)")
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "with -cluster, run each workload's targets this many times in turn (Shoal, NATS, Shoal, NATS, ...)")
	fs.StringVar(&c.Username, "username", c.Username, "user to log in as")
	fs.StringVar(&c.Password, "password", c.Password, "password to log in with")
	fs.StringVar(&c.NATSServer, "nats-server", c.NATSServer, "nats-server binary for -compare nats")
	fs.BoolVar(&c.JSON, "json", false, "print the results as JSON")
	fs.StringVar(&c.Report, "report", "", "write a self-contained HTML report to this file")
	quiet := fs.Bool("quiet", false, "no progress line")
	fs.DurationVar(&c.Tick, "tick", c.Tick, "throughput sampling interval")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.Progress = !*quiet
	return c, c.Validate()
}

// Validate checks the knobs.
func (c *Config) Validate() error {
	var errs []error
	for _, k := range []struct {
		name string
		v    int
	}{{"producers", c.Producers}, {"consumers", c.Consumers}, {"connections", c.Connections},
		{"streams", c.Streams}, {"partitions", c.Partitions}, {"batch", c.Batch}, {"rounds", c.Rounds}} {
		if k.v < 1 {
			errs = append(errs, fmt.Errorf("-%s must be at least 1, not %d", k.name, k.v))
		}
	}
	if c.Size < 0 {
		errs = append(errs, fmt.Errorf("-size must not be negative"))
	}
	if c.Messages < 0 || c.Rate < 0 {
		errs = append(errs, errors.New("-messages and -rate must not be negative"))
	}
	if c.Messages == 0 && c.Duration <= 0 {
		errs = append(errs, errors.New("set -messages or a positive -duration"))
	}
	if len(c.Workloads) == 0 || len(c.Transports) == 0 {
		errs = append(errs, errors.New("no workload or transport selected"))
	}
	if c.Tick <= 0 {
		errs = append(errs, errors.New("-tick must be positive"))
	}
	if c.ServerAddress != "" && len(c.Transports) > 1 {
		errs = append(errs, errors.New("-server-address takes one -transport (its address is that transport's)"))
	}
	if c.Cluster && c.ServerAddress != "" {
		errs = append(errs, errors.New("-cluster starts its own servers: drop -server-address"))
	}
	if c.Cluster && (len(c.Transports) != 1 || c.Transports[0] != "tcp") {
		errs = append(errs, errors.New("-cluster runs over -transport tcp only"))
	}
	if !c.Cluster && (c.Rounds != 1 || c.ServerBinary != "") {
		errs = append(errs, errors.New("-rounds and -server-binary need -cluster"))
	}
	return errors.Join(errs...)
}
