package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Cluster is the [cluster] section, with Apache Iggy's keys (cc269ef70
// core/server/config.toml). Every node of a cluster reads the same file and
// is told apart only by its replica id: cluster.replica_id, which the
// --replica-id flag of shoal-server (Iggy's flag) and IGGY_CLUSTER_REPLICA_ID
// override. Iggy has the flag only; the key is Shoal's, so one node can be
// pinned in a file.
//
// The timing keys are durations; consensus counts time in ticks of Tick, and
// Ticks converts them the way Iggy does.
type Cluster struct {
	Enabled   bool   `toml:"enabled"`
	Name      string `toml:"name"`
	ReplicaID int    `toml:"replica_id"`

	// HeartbeatTimeout is the backup's liveness window for the primary:
	// silent for this long, a backup starts a view change.
	// Invariant (Validate): >= MinHeartbeatTimeout and >=
	// HeartbeatBroadcastRatio × CommitBroadcastInterval.
	HeartbeatTimeout Duration `toml:"heartbeat_timeout"`
	// CommitBroadcastInterval is how often the primary broadcasts its commit
	// point (the Commit heartbeat).
	CommitBroadcastInterval Duration `toml:"commit_broadcast_interval"`
	// PrepareRetransmitInterval is how often the primary resends prepares a
	// backup has not acknowledged.
	PrepareRetransmitInterval Duration `toml:"prepare_retransmit_interval"`
	// ViewChangeRetransmitInterval paces StartViewChange/DoViewChange resends.
	ViewChangeRetransmitInterval Duration `toml:"view_change_retransmit_interval"`
	// ViewChangeStatusTimeout escalates a stalled view change to the next
	// view. Invariant: >= StatusRetransmitRatio × ViewChangeRetransmitInterval.
	ViewChangeStatusTimeout Duration `toml:"view_change_status_timeout"`
	// RequestStartViewRetransmitInterval paces a recovering backup's
	// RequestStartView.
	RequestStartViewRetransmitInterval Duration `toml:"request_start_view_retransmit_interval"`
	// ViewProbeAttemptsMax is how many unanswered RequestStartView probes a
	// recovering replica sends before it elects on its own log (1..100).
	ViewProbeAttemptsMax int `toml:"view_probe_attempts_max"`
	// MetadataCheckpointInterval and PartitionCheckpointInterval are how
	// many operations the metadata group and each partition's group commit
	// between checkpoints (MinCheckpointInterval..MaxCheckpointInterval):
	// a group's journal and memory hold about that many operations.
	MetadataCheckpointInterval  int `toml:"metadata_checkpoint_interval"`
	PartitionCheckpointInterval int `toml:"partition_checkpoint_interval"`
	// RepairRetryInterval is how long a stalled repair waits before asking
	// again.
	RepairRetryInterval Duration `toml:"repair_retry_interval"`

	Auth  ClusterAuth `toml:"auth"`
	TLS   ClusterTLS  `toml:"tls"`
	Nodes []Node      `toml:"nodes"`
}

// ClusterAuth is [cluster.auth]: the replicas' pre-shared key.
type ClusterAuth struct {
	Enabled bool `toml:"enabled"`
	// SharedSecret is at least MinSharedSecretLen bytes, the same on every
	// node; IGGY_CLUSTER_AUTH_SHARED_SECRET keeps it out of the file.
	SharedSecret Secret `toml:"shared_secret"`
	// PreviousSharedSecret is accepted (never used to sign) during a key
	// rotation; empty otherwise.
	PreviousSharedSecret Secret `toml:"previous_shared_secret"`
}

// ClusterTLS is [cluster.tls]: TLS on the replica plane (tcp_replica).
type ClusterTLS struct {
	Enabled    bool   `toml:"enabled"`
	SelfSigned bool   `toml:"self_signed"`
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
	CAFile     string `toml:"ca_file"`
}

// Node is one [[cluster.nodes]] entry.
type Node struct {
	// Name is unique; ForReplica appends it to system.path, so it is also
	// a directory name.
	Name      string    `toml:"name"`
	IP        string    `toml:"ip"`
	ReplicaID int       `toml:"replica_id"`
	Ports     NodePorts `toml:"ports"`
}

// NodePorts are a node's listening ports; 0 means none. In cluster mode they
// are the only source of listener ports (Iggy's rule): tcp and tcp_replica
// are required, and quic, http and websocket when that listener is enabled.
type NodePorts struct {
	TCP        int `toml:"tcp"`
	QUIC       int `toml:"quic"`
	HTTP       int `toml:"http"`
	WebSocket  int `toml:"websocket"`
	TCPReplica int `toml:"tcp_replica"`
}

// Secret is a configuration value that is never printed: fmt, slog and
// encoders see "[redacted]" (or "" when it is empty). Convert it with
// string(s) to use it.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalText keeps encoders from writing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Cluster limits, Iggy's (cc269ef70 core/configs/src/server_config/cluster.rs).
const (
	MinHeartbeatTimeout     = 2 * time.Second
	HeartbeatBroadcastRatio = 4 // heartbeat_timeout >= 4 × commit_broadcast_interval
	StatusRetransmitRatio   = 4 // view_change_status_timeout >= 4 × view_change_retransmit_interval
	MaxViewProbeAttempts    = 100
	MinCheckpointInterval   = 4
	MaxCheckpointInterval   = 1 << 20
	MinSharedSecretLen      = 32
)

// Tick is the consensus clock period (Iggy's, and internal/vsr's).
const Tick = 10 * time.Millisecond

// Ticks converts a duration to whole ticks as Iggy does: rounded down, and
// at least one tick.
func Ticks(d Duration) int {
	return max(1, int(d.Std()/Tick))
}

// problems collects a validation's *FieldErrors.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, &FieldError{Key: key, Err: fmt.Errorf(format, args...)})
}

// validateCluster checks [cluster]; with the cluster disabled only
// replica_id is checked (it must be 0, as Iggy refuses --replica-id N > 0
// on a single node).
func (c *Config) validateCluster() []error {
	var errs problems
	bad := errs.add
	cl := &c.Cluster
	if !cl.Enabled {
		if cl.ReplicaID != 0 {
			bad("cluster.replica_id", "must be 0 when the cluster is disabled, got %d", cl.ReplicaID)
		}
		return errs
	}
	if strings.TrimSpace(cl.Name) == "" {
		bad("cluster.name", "must not be empty")
	}
	errs = append(errs, cl.validateTiming()...)
	errs = append(errs, cl.validateSecurity()...)
	if len(cl.Nodes) == 0 || len(cl.Nodes) > MaxReplicas {
		bad("cluster.nodes", "need 1..%d nodes when the cluster is enabled, got %d", MaxReplicas, len(cl.Nodes))
		return errs
	}
	ids, names := map[int]bool{}, map[string]bool{}
	endpoints := map[string]string{} // ip:port → key, across nodes and transports
	for i, n := range cl.Nodes {
		key := fmt.Sprintf("cluster.nodes[%d]", i)
		switch {
		case n.ReplicaID < 0 || n.ReplicaID >= len(cl.Nodes):
			bad(key+".replica_id", "must be in 0..%d, got %d", len(cl.Nodes)-1, n.ReplicaID)
		case ids[n.ReplicaID]:
			bad(key+".replica_id", "replica_id %d is used by two nodes", n.ReplicaID)
		}
		ids[n.ReplicaID] = true
		switch {
		case strings.TrimSpace(n.Name) == "":
			bad(key+".name", "must not be empty")
		case n.Name == "." || n.Name == ".." || strings.ContainsAny(n.Name, `/\`):
			bad(key+".name", "%q cannot name a directory under system.path", n.Name)
		case names[n.Name]:
			bad(key+".name", "%q is used by two nodes", n.Name)
		}
		names[n.Name] = true
		ip := net.ParseIP(n.IP)
		if ip == nil {
			bad(key+".ip", "%q is not an IP address", n.IP)
		}
		for _, p := range []struct {
			name     string
			v        int
			required bool
		}{
			{"tcp", n.Ports.TCP, true},
			{"quic", n.Ports.QUIC, c.QUIC.Enabled},
			{"http", n.Ports.HTTP, c.HTTP.Enabled},
			{"websocket", n.Ports.WebSocket, c.WebSocket.Enabled},
			{"tcp_replica", n.Ports.TCPReplica, true},
		} {
			pk := key + ".ports." + p.name
			switch {
			case p.v < 0 || p.v > 65535:
				bad(pk, "port %d out of range", p.v)
				continue
			case p.v == 0 && p.required:
				bad(pk, "required: in cluster mode each node's ports are its listeners' ports")
				continue
			case p.v == 0 || ip == nil:
				continue
			}
			ep := net.JoinHostPort(ip.String(), strconv.Itoa(p.v))
			if other, dup := endpoints[ep]; dup {
				bad(pk, "%s is also %s", ep, other)
			}
			endpoints[ep] = pk
		}
	}
	if !ids[cl.ReplicaID] {
		bad("cluster.replica_id", "must name one of the %d nodes (their replica_id), got %d", len(cl.Nodes), cl.ReplicaID)
	}
	return errs
}

// validateTiming checks the consensus timing keys (Iggy's rules).
func (cl *Cluster) validateTiming() []error {
	var errs problems
	bad := errs.add
	for _, d := range []struct {
		key string
		v   Duration
	}{
		{"cluster.commit_broadcast_interval", cl.CommitBroadcastInterval},
		{"cluster.prepare_retransmit_interval", cl.PrepareRetransmitInterval},
		{"cluster.view_change_retransmit_interval", cl.ViewChangeRetransmitInterval},
		{"cluster.view_change_status_timeout", cl.ViewChangeStatusTimeout},
		{"cluster.request_start_view_retransmit_interval", cl.RequestStartViewRetransmitInterval},
		{"cluster.repair_retry_interval", cl.RepairRetryInterval},
	} {
		if d.v <= 0 {
			bad(d.key, "must be positive, got %v", d.v)
		}
	}
	// One delayed broadcast must never trip an election: the window spans
	// several broadcasts.
	switch hb := cl.HeartbeatTimeout.Std(); {
	case hb < MinHeartbeatTimeout:
		bad("cluster.heartbeat_timeout", "must be at least %v, got %v", MinHeartbeatTimeout, hb)
	case hb < HeartbeatBroadcastRatio*cl.CommitBroadcastInterval.Std():
		bad("cluster.heartbeat_timeout", "%v must be at least %d × cluster.commit_broadcast_interval (%v)",
			hb, HeartbeatBroadcastRatio, cl.CommitBroadcastInterval)
	}
	if st := cl.ViewChangeStatusTimeout.Std(); st > 0 && st < StatusRetransmitRatio*cl.ViewChangeRetransmitInterval.Std() {
		bad("cluster.view_change_status_timeout", "%v must be at least %d × cluster.view_change_retransmit_interval (%v)",
			st, StatusRetransmitRatio, cl.ViewChangeRetransmitInterval)
	}
	if n := cl.ViewProbeAttemptsMax; n < 1 || n > MaxViewProbeAttempts {
		bad("cluster.view_probe_attempts_max", "must be in 1..%d, got %d", MaxViewProbeAttempts, n)
	}
	for _, ci := range []struct {
		key string
		n   int
	}{{"cluster.metadata_checkpoint_interval", cl.MetadataCheckpointInterval}, {"cluster.partition_checkpoint_interval", cl.PartitionCheckpointInterval}} {
		if ci.n < MinCheckpointInterval || ci.n > MaxCheckpointInterval {
			bad(ci.key, "must be in %d..%d, got %d", MinCheckpointInterval, MaxCheckpointInterval, ci.n)
		}
	}
	return errs
}

// validateSecurity checks [cluster.auth] and [cluster.tls] (Iggy's rules).
func (cl *Cluster) validateSecurity() []error {
	var errs problems
	bad := errs.add
	a := cl.Auth
	switch {
	case a.Enabled && a.SharedSecret == "":
		bad("cluster.auth.shared_secret", "required when cluster.auth.enabled is true (or set IGGY_CLUSTER_AUTH_SHARED_SECRET)")
	case a.SharedSecret != "" && len(a.SharedSecret) < MinSharedSecretLen:
		// Checked with auth off too: a short key is a typo.
		bad("cluster.auth.shared_secret", "must be at least %d bytes, got %d", MinSharedSecretLen, len(a.SharedSecret))
	}
	switch {
	case a.PreviousSharedSecret == "":
	case len(a.PreviousSharedSecret) < MinSharedSecretLen:
		bad("cluster.auth.previous_shared_secret", "must be at least %d bytes, got %d", MinSharedSecretLen, len(a.PreviousSharedSecret))
	case a.PreviousSharedSecret == a.SharedSecret:
		bad("cluster.auth.previous_shared_secret", "equals shared_secret: a rotation needs a different key")
	}
	t := cl.TLS
	if !t.Enabled {
		return errs
	}
	if !a.Enabled {
		// TLS authenticates only the acceptor; the pre-shared key
		// authenticates the dialer.
		bad("cluster.tls.enabled", "requires cluster.auth.enabled = true")
	}
	if !t.SelfSigned {
		for _, f := range []struct{ key, v string }{
			{"cluster.tls.cert_file", t.CertFile}, {"cluster.tls.key_file", t.KeyFile}, {"cluster.tls.ca_file", t.CAFile},
		} {
			if f.v == "" {
				bad(f.key, "required when cluster.tls is enabled and self_signed is false")
			}
		}
	}
	return errs
}
