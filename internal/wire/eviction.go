package wire

import "strconv"

// EvictionReason says why a session ended (EvictionHeader byte 255). These
// constants are part of the wire format and must not be changed.
type EvictionReason uint8

const (
	EvictReserved                EvictionReason = 0 // invalid
	EvictNoSession               EvictionReason = 1
	EvictClientReleaseTooLow     EvictionReason = 2
	EvictClientReleaseTooHigh    EvictionReason = 3
	EvictInvalidRequestOperation EvictionReason = 4
	EvictInvalidRequestBody      EvictionReason = 5
	EvictInvalidRequestBodySize  EvictionReason = 6
	EvictSessionTooLow           EvictionReason = 7
	EvictSessionReleaseMismatch  EvictionReason = 8
	EvictInvalidCredentials      EvictionReason = 9
	EvictInvalidToken            EvictionReason = 10
	EvictUserInactive            EvictionReason = 11
	EvictSessionError            EvictionReason = 12
	EvictStaleClient             EvictionReason = 13
	EvictIncompatibleProtocol    EvictionReason = 14 // carries the server's version window
	EvictMalformedLogin          EvictionReason = 15
)

var evictionNames = [...]string{
	"Reserved", "NoSession", "ClientReleaseTooLow", "ClientReleaseTooHigh",
	"InvalidRequestOperation", "InvalidRequestBody", "InvalidRequestBodySize", "SessionTooLow",
	"SessionReleaseMismatch", "InvalidCredentials", "InvalidToken", "UserInactive",
	"SessionError", "StaleClient", "IncompatibleProtocol", "MalformedLogin",
}

func (r EvictionReason) String() string {
	if int(r) < len(evictionNames) {
		return evictionNames[r]
	}
	return "EvictionReason(" + strconv.Itoa(int(r)) + ")"
}

// EvictionHeader is a header-only, session-terminal frame (command 13,
// size 256, unsealed).
//
//	off  size field
//	128  16   client                       u128, non-zero
//	144   4   server_protocol_version      u32, only for reason 14
//	148   4   server_protocol_version_min  u32, only for reason 14 (1 <= min <= max)
//	152 103   reserved                     must be 0
//	255   1   reason                       EvictionReason, non-zero
//
// reserved_frame (62..128) must be zero as well.
type EvictionHeader struct {
	Prefix
	Client                   ClientID
	ServerProtocolVersion    ProtocolVersion
	ServerProtocolVersionMin ProtocolVersion
	Reason                   EvictionReason
}

const (
	offEvClient = 128
	offEvMax    = 144
	offEvMin    = 148
	offEvReason = 255
)

// Put writes h into b[:HeaderSize] with command Eviction and size 256.
func (h *EvictionHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandEviction)
	putU128(b[offEvClient:], Uint128(h.Client))
	put32(b, offEvMax, uint32(h.ServerProtocolVersion))
	put32(b, offEvMin, uint32(h.ServerProtocolVersionMin))
	b[offEvReason] = byte(h.Reason)
}

// Decode reads an Eviction header from b and validates it as Iggy does:
// size 256, client non-zero, both reserved areas zero, a non-zero reason,
// and the version window present exactly when the reason is 14.
func (h *EvictionHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandEviction); err != nil {
		return err
	}
	h.Client = ClientID(getU128(b[offEvClient:]))
	h.ServerProtocolVersion = ProtocolVersion(u32(b, offEvMax))
	h.ServerProtocolVersionMin = ProtocolVersion(u32(b, offEvMin))
	h.Reason = EvictionReason(b[offEvReason])
	switch {
	case h.Size != HeaderSize:
		return invalid("eviction: size %d, want 256", h.Size)
	case h.Client.IsZero():
		return invalid("eviction: client is 0")
	case !allZero(b[offReservedFrm:offCmdSpecific]) || !allZero(b[152:255]):
		return invalid("eviction: reserved bytes must be zero")
	case h.Reason == EvictReserved:
		return invalid("eviction: reason 0")
	case h.Reason == EvictIncompatibleProtocol:
		if h.ServerProtocolVersionMin == 0 || h.ServerProtocolVersionMin > h.ServerProtocolVersion {
			return invalid("eviction: bad version window %v..%v", h.ServerProtocolVersionMin, h.ServerProtocolVersion)
		}
	case h.ServerProtocolVersion != 0 || h.ServerProtocolVersionMin != 0:
		return invalid("eviction: version window set for reason %v", h.Reason)
	}
	return nil
}
