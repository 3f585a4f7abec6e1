// Package wire is the codec of Apache Iggy's VSR protocol (Iggy commit
// cc269ef70) as Shoal speaks it: 256-byte frame headers for every command,
// frame reading with bounds and pooled buffers, XXH3 checksums, protocol
// versions, the read codes (Code), and every request and reply body the
// server and client share.
//
// It imports only the standard library and the XXH3 module, starts no
// goroutines, and its header codecs do not allocate: headers are written
// into caller buffers (Put) and decoded into caller values (Decode). The
// hot bodies' decoders (SendMessages, PollMessages, the logins) return
// slices that alias the body; the other bodies' decoders copy names, so
// what they return outlives the frame.
//
// # Frames
//
// A frame is a 256-byte header followed by size-256 body bytes; there is no
// other length prefix. Every integer is little-endian; a u128 is 16 bytes,
// low half first.
//
//	frame = header[256] || body[size-256]
//
// The first 128 header bytes are common to every command (Prefix):
//
//	off  size field
//	  0  16   checksum        u128: seal, identity or 0 by command (see below)
//	 16  16   checksum_body   u128
//	 32  16   cluster         u128: 0 on the client plane
//	 48   4   size            u32: total frame bytes, 256..max (default 64 MiB)
//	 52   4   view            u32
//	 56   4   release         u32: always 0
//	 60   1   command         u8: 0..29, see Command
//	 61   1   replica         u8
//	 62  66   reserved_frame  0
//	128 128   command-specific fields
//
// Each header type documents its own bytes 128..256: RequestHeader,
// ReplyHeader, EvictionHeader (client plane), PrepareHeader, PrepareOkHeader,
// CommitHeader, StartViewChangeHeader, DoViewChangeHeader, StartViewHeader,
// RequestStartViewHeader, RequestPreparesHeader, RepairRangeHeader, the four
// state-transfer and four forwarding headers, and HandshakeHeader (replica
// plane).
//
// These constants are part of the wire format and must not be changed.
//
// # Checksums
//
// All checksums are XXH3-64, seed 0, zero-extended into u128 fields.
//
//   - Sealed commands (Command.Sealed: PrepareOk, Commit, the view-change,
//     repair, state-transfer and forwarding frames) carry
//     checksum = XXH3(header[16:256]), which covers checksum_body =
//     XXH3(body). SealFrame and VerifyFrame write and check them.
//   - Prepare and RepairPrepare carry an identity checksum: XXH3 over the
//     header with checksum and view zeroed (PrepareIdentity); the next
//     prepare's parent is that value.
//   - Client frames (Request, Reply, Eviction) are unsealed: checksum and
//     checksum_body are 0 and not checked. A Request's request_checksum, if
//     non-zero, must equal XXH3(body).
//
// # Sessions
//
// A client logs in with a Register request whose body is LoginPassword or
// LoginToken, both opening with ClientVersionInfo; the protocol version is
// packed 10/10/10 (ProtocolVersion). Replies to metadata operations open
// with a result section, [count u32][{index u32, status u32} × count]
// (SplitResult, AppendResultOK, AppendResultError).
//
// # Bodies
//
// Request and reply bodies use little-endian fields and the primitives of
// primitives.go (Identifier, Consumer, Partitioning, PollingStrategy),
// read with one byte reader, BodyReader, whose first failure sticks.
// Every request body has a type here with Append and Decode, one concept
// per file: streams.go, topics.go, groups.go, users.go, tokens.go,
// offsets.go, system.go. Their Decode returns the status Iggy answers for
// a body that does not decode (mostly StatusInvalidCommand) and copies
// what it keeps, so a decoded request outlives its frame; options blocks
// stay raw TLV bytes for the metadata to parse against its catalog.
//
// Reply bodies are plain values in the same files (StreamInfo,
// StreamDetails, TopicInfo, TopicDetails, GroupDetails, UserDetails,
// TokenInfo, ConsumerOffsetInfo, ClientInfo, Stats, ClusterMetadata, ...):
// the metadata builds them from its state, the server encodes them with
// Append (or AppendStreams, AppendTopics, ... for lists) and the client
// decodes them with Decode (DecodeStreams, DecodeTopics, ...), which
// fails with ErrMalformedBody on a short body, a count the body cannot
// hold, or bytes after it.
//
// SendMessages carries one message batch (a 256-byte BatchHeader and
// 48-byte-headed message frames, documented in messages.go); Decode admits it
// as Iggy's server does, verifying every checksum, and failures are
// *BodyError values carrying the reply status (S11: answered, never dropped).
// PollMessages replies carry batch records of the same layout
// (DecodePollReply); GetClusterMetadata replies are ClusterMetadata.
package wire
