package shard

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/shoal-io/shoal/internal/bus"
)

// Config configures a Runtime.
type Config struct {
	// Shards is the number of shards; 0 means runtime.GOMAXPROCS(0).
	Shards int
	// Bus configures every shard's bus.
	Bus bus.Config
	// Lane capacities of each shard's inbox: lifecycle, consensus, reply
	// (frames and answers for this shard's clients), data (work other
	// shards hand this one for the partitions it owns) and client
	// (requests its readers deliver).
	LifecycleLane, ConsensusLane, ReplyLane, DataLane, ClientLane int
	// Burst is the most messages a shard takes from one lane per round.
	Burst int
	// SkipShardZeroForReplicas keeps replica connections off shard 0 (the
	// coordinator) when there is more than one shard.
	SkipShardZeroForReplicas bool
	// SkipShardZeroForClients does the same for client connections.
	SkipShardZeroForClients bool
	// Logger receives runtime events; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns GOMAXPROCS shards, the bus defaults, lanes of 256
// (lifecycle), 1024 (consensus, client) and 4096 (reply, data), bursts of 64, replicas kept off
// shard 0 and clients spread over every shard (Iggy's CoordinatorConfig).
func DefaultConfig() Config {
	return Config{
		Bus:                      bus.DefaultConfig(),
		LifecycleLane:            256,
		ConsensusLane:            1024,
		ReplyLane:                4096,
		DataLane:                 4096,
		ClientLane:               1024,
		Burst:                    64,
		SkipShardZeroForReplicas: true,
	}
}

func (c *Config) normalize() error {
	if c.Shards == 0 {
		c.Shards = runtime.GOMAXPROCS(0)
	}
	switch {
	case c.Shards < 1 || c.Shards > 1<<16-1:
		return fmt.Errorf("shard: Shards must be in 1..65535, got %d", c.Shards)
	case c.LifecycleLane < 1 || c.ConsensusLane < 1 || c.ReplyLane < 1 || c.DataLane < 1 || c.ClientLane < 1:
		return fmt.Errorf("shard: lane capacities must be positive")
	case c.Burst < 1:
		return fmt.Errorf("shard: Burst must be positive, got %d", c.Burst)
	}
	return c.Bus.Validate()
}
