package wire

import "strconv"

// Command is the frame kind at header byte 60. These constants are part of
// the wire format and must not be changed.
type Command uint8

const (
	CommandReserved              Command = 0  // invalid
	CommandPing                  Command = 1  // GenericHeader; tests only
	CommandPong                  Command = 2  // GenericHeader; tests only
	CommandPingClient            Command = 3  // GenericHeader; tests only
	CommandPongClient            Command = 4  // GenericHeader; tests only
	CommandRequest               Command = 5  // RequestHeader + request body; client → server, unsealed
	CommandPrepare               Command = 6  // PrepareHeader + operation body; identity checksum
	CommandPrepareOk             Command = 7  // PrepareOkHeader; sealed
	CommandReply                 Command = 8  // ReplyHeader + reply body; server → client, unsealed
	CommandCommit                Command = 9  // CommitHeader, size 256; sealed
	CommandStartViewChange       Command = 10 // StartViewChangeHeader; sealed
	CommandDoViewChange          Command = 11 // DoViewChangeHeader + N×256 PrepareHeaders; sealed
	CommandStartView             Command = 12 // StartViewHeader + N×256 PrepareHeaders; sealed
	CommandEviction              Command = 13 // EvictionHeader, size 256; server → client, unsealed
	CommandReplicaHello          Command = 14 // HandshakeHeader: 32B nonce + 32B MAC
	CommandReplicaChallenge      Command = 15 // HandshakeHeader: 32B nonce + 32B MAC + 1B status
	CommandReplicaFinish         Command = 16 // HandshakeHeader: 32B MAC
	CommandRequestStartView      Command = 17 // RequestStartViewHeader; sealed
	CommandRequestPrepares       Command = 18 // RequestPreparesHeader; sealed
	CommandRepairPrepare         Command = 19 // PrepareHeader layout + body; identity checksum
	CommandRepairDone            Command = 20 // RepairRangeHeader; sealed
	CommandRangeEvicted          Command = 21 // RepairRangeHeader; sealed
	CommandRequestStateTransfer  Command = 22 // RequestStateTransferHeader, size 256; sealed
	CommandStateTransferTarget   Command = 23 // StateTransferTargetHeader + manifest; sealed
	CommandRequestStateChunk     Command = 24 // RequestStateChunkHeader, size 256; sealed
	CommandStateChunk            Command = 25 // StateChunkHeader + bytes; sealed
	CommandForwardRegister       Command = 26 // ForwardRegisterHeader, size 256; sealed
	CommandForwardRegisterResult Command = 27 // ForwardRegisterResultHeader, size 256; sealed
	CommandForwardLogout         Command = 28 // ForwardLogoutHeader, size 256; sealed
	CommandForwardLogoutResult   Command = 29 // ForwardLogoutResultHeader, size 256; sealed

	// MaxCommand is the highest defined command; a larger byte is invalid.
	MaxCommand = CommandForwardLogoutResult
)

var commandNames = [...]string{
	"Reserved", "Ping", "Pong", "PingClient", "PongClient", "Request", "Prepare", "PrepareOk",
	"Reply", "Commit", "StartViewChange", "DoViewChange", "StartView", "Eviction",
	"ReplicaHello", "ReplicaChallenge", "ReplicaFinish", "RequestStartView", "RequestPrepares",
	"RepairPrepare", "RepairDone", "RangeEvicted", "RequestStateTransfer", "StateTransferTarget",
	"RequestStateChunk", "StateChunk", "ForwardRegister", "ForwardRegisterResult",
	"ForwardLogout", "ForwardLogoutResult",
}

// Valid reports whether c is a defined command (0 is defined but invalid on
// the wire; see Usable).
func (c Command) Valid() bool { return c <= MaxCommand }

// Usable reports whether a frame may carry c: defined and not Reserved.
func (c Command) Usable() bool { return c != CommandReserved && c <= MaxCommand }

// Sealed reports whether frames of this command carry a frame seal in
// their checksum field (wire.md §1.9). Prepare and RepairPrepare carry an
// identity checksum instead; client-plane frames are unsealed.
func (c Command) Sealed() bool {
	switch c {
	case CommandPrepareOk, CommandCommit, CommandStartViewChange, CommandDoViewChange,
		CommandStartView, CommandRequestStartView, CommandRequestPrepares, CommandRepairDone,
		CommandRangeEvicted, CommandRequestStateTransfer, CommandStateTransferTarget,
		CommandRequestStateChunk, CommandStateChunk, CommandForwardRegister,
		CommandForwardRegisterResult, CommandForwardLogout, CommandForwardLogoutResult:
		return true
	}
	return false
}

// ClientPlane reports whether c may travel on the client plane (S7).
func (c Command) ClientPlane() bool {
	return c == CommandRequest || c == CommandReply || c == CommandEviction
}

func (c Command) String() string {
	if int(c) < len(commandNames) {
		return commandNames[c]
	}
	return "Command(" + strconv.Itoa(int(c)) + ")"
}
