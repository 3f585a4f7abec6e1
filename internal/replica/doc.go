// Package replica is Shoal's replica plane: the listener and connector that
// shard 0 runs, and the mutual pre-shared-key handshake the owning shards
// run before a replica connection is installed on their bus.
//
// # Connections
//
// Replicas of one cluster connect once per pair: a replica dials only peers
// with a higher id and accepts only lower ids. Shard 0's connector dials
// every higher peer at Start and then sweeps again every ReconnectPeriod,
// or sooner while a peer is missing (100 ms after a sweep that dialed,
// doubling up to ReconnectPeriod), skipping peers that hold a connection (the shard owner table) or have a dial or
// handshake in flight. Every dial is bounded by DialTimeout and every
// handshake by the owner bus's HandshakeTimeout. At most MaxHandshakes
// (256) handshakes are in flight at once, dials included; an accepted
// connection beyond the cap is closed at once and a dial beyond it waits
// for the next sweep, so the accept loop never blocks.
//
// # Accepted connections and S6
//
// The replica listener is served like any other: Start binds it through
// shard 0's Serve (shard.ListenerSpec.Replica), so the runtime's own accept
// loop runs it and does no protocol work. Its Accept only takes a
// handshake slot (or sheds the connection); the loop then hands the
// untouched connection to shard.Runtime.DelegateInboundReplica, because an
// accepted connection's peer names itself only in its first handshake
// frame and so cannot be delegated by id. The owner runs Inbound.Handshake
// as tracked background work of its bus under the bus's HandshakeTimeout:
// the transport's handshake (socket options, and TLS when configured,
// both from internal/transport), then the ReplicaHello and its checks (a
// replica in the owner table is refused here, with a status, unless this
// Hello supersedes its connection: see below), the Challenge and the
// Finish. Only once the dialer is authenticated does the
// owner claim the owner table for it (so an unauthenticated Hello can
// never hold a replica's slot) and install the connection on its own bus,
// releasing the claim if the install fails; Inbound.Settled logs the
// outcome. Every byte of every handshake is read on the owning shard, and
// a silent peer costs that shard one goroutine until the deadline, never
// an accept loop.
//
// # Handshake
//
// The three frames are wire.HandshakeHeader commands 14–16, each exactly
// 256 bytes and read with io.ReadFull, never through a buffered reader, so
// frames sent right after the handshake stay for the bus reader:
//
//	dialer                                   acceptor
//	ReplicaHello     nonce_d, ts_d      →
//	                                    ←    ReplicaChallenge  nonce_a, ts_a, MAC_a, status
//	ReplicaFinish    MAC_d              →
//
// MAC = BLAKE3-keyed(subkey, "apache-iggy replica-auth v1" ‖ cluster id ‖
// dialer ‖ acceptor ‖ nonce_d ‖ nonce_a ‖ ts_d ‖ ts_a ‖ mode ‖ exporter ‖
// dir), where subkey is derived from the 32-byte cluster secret
// (LoadSecret), the cluster id is the first 16 bytes of BLAKE3(cluster
// name), mode and exporter are 0 on plain TCP and dir is 1 for the dialer's
// MAC and 2 for the acceptor's. The timestamps are Shoal's addition to
// Iggy's transcript. Each side checks the other's cluster id, the timestamp
// (±30 s), the MAC and only then records the peer's nonce in a per-peer
// ring (NonceStore), so a forged MAC never uses up a slot and no nonce is
// accepted twice. A refusal is logged with a reason (Reason) by the side
// that refuses; the acceptor also sends it back in the Challenge's status
// byte.
//
// The MAC proves membership, not identity: any holder of the secret can
// claim any lower replica id.
//
// # TLS
//
// With Config.TLS set, every replica connection runs TLS 1.3 with ALPN
// iggy-replica on the owning shard before the replica handshake: the
// internal/transport/tlsconn listener and Pending on the accepting side,
// tlsconn.Client on the dialing side, both with RequireALPN, so a peer that
// offers no ALPN is refused too. The one configuration serves both roles;
// its ClientAuth and ClientCAs, if set, make it mutual. Both MACs absorb
// the session's exporter (label "iggy replica psk binding", mode 1): a
// relay that terminates the dialer's session and opens its own to the
// acceptor forwards every byte and still fails both MACs. Installed TLS
// connections are tlsconn.Conns, which write each batch with one TLS
// write gathered into one syscall.
//
// # After the handshake
//
// The connection is installed with bus.InstallReplica, whose reader
// verifies every sealed frame (wire.VerifyFrame; a bad checksum closes the
// connection) and whose writer batches. Senders seal their frames with
// wire.SealFrame.
//
// Goroutines: the package starts none of its own. The runtime's accept
// loop, the connector and each dial are tracked background work of shard
// 0's bus; each handshake is tracked background work of its owner's bus.
// Runtime.Shutdown therefore stops and waits for all of them; Plane.Close
// stops accepting and dialing sooner. The only lock is Plane.mu (the
// dialing set), never held across I/O or a call into another package.
//
// Imports: the standard library, internal/wire, internal/transport,
// internal/transport/tcp, internal/transport/tlsconn, internal/shard and
// lukechampine.com/blake3.
//
// # Duplicate connections
//
// A replica holds one connection per peer, and a newer one supersedes an
// older one: a Hello from a connected lower peer is refused as
// already_connected only if its timestamp is not newer than the Hello of
// the installed connection. A newer one goes through the handshake, and
// once it is authenticated the installed connection is closed at once
// (shard.Runtime.CloseReplica; its connection-lost fires) and the new one
// is claimed and installed. So a peer that crashed and restarted gets back
// in at its first dial, rather than being refused until TCP keepalive
// (about 25 s with the bus defaults) notices the half-open socket its
// predecessor left behind. The timestamps order the two, so an older
// handshake never displaces a newer connection; they come from the
// dialer's clock, so a restarted peer whose clock stepped back is refused
// until its old connection closes, as before. Only secret holders get
// this far (the MAC proves membership).
package replica
