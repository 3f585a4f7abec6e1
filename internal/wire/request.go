package wire

// RequestHeader is the header of a client Request (command 5, unsealed).
//
//	off  size field
//	128  16   client            u128, must be non-zero
//	144  16   request_checksum  u128; 0 = unstamped, else u128(XXH3_64(body))
//	160   8   timestamp         u64, echoed
//	168   8   request           u64 request id
//	176   1   operation         Operation
//	177   7   padding
//	184   8   session           u64 fence epoch, 0 before login
//	192   4   user_id           u32, never trusted
//	196   4   code              u32 legacy command code, only for NonReplicated
//	200  56   reserved          ignored ([248..256) is the internal group)
type RequestHeader struct {
	Prefix
	Client          ClientID
	RequestChecksum Uint128
	Timestamp       uint64
	Request         uint64
	Operation       Operation
	Session         uint64
	UserID          uint32
	Code            Code // NonReplicated only: which read
}

const (
	offReqClient    = 128
	offReqChecksum  = 144
	offReqTimestamp = 160
	offReqRequest   = 168
	offReqOperation = 176
	offReqSession   = 184
	offReqUserID    = 192
	offReqCode      = 196
)

// Put writes h into b[:HeaderSize] with command Request. Size is written as
// set; callers set it to HeaderSize+len(body).
func (h *RequestHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandRequest)
	putU128(b[offReqClient:], Uint128(h.Client))
	putU128(b[offReqChecksum:], h.RequestChecksum)
	put64(b, offReqTimestamp, h.Timestamp)
	put64(b, offReqRequest, h.Request)
	b[offReqOperation] = byte(h.Operation)
	put64(b, offReqSession, h.Session)
	put32(b, offReqUserID, h.UserID)
	put32(b, offReqCode, uint32(h.Code))
}

// Decode reads a Request header from b and checks the field rules of
// wire.md §1.5: client non-zero, a declared operation, Register with session
// and request 0, replicated operations with both non-zero. A frame that fails
// them is dropped without a reply.
func (h *RequestHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandRequest); err != nil {
		return err
	}
	h.Client = ClientID(getU128(b[offReqClient:]))
	h.RequestChecksum = getU128(b[offReqChecksum:])
	h.Timestamp = u64(b, offReqTimestamp)
	h.Request = u64(b, offReqRequest)
	h.Operation = Operation(b[offReqOperation])
	h.Session = u64(b, offReqSession)
	h.UserID = u32(b, offReqUserID)
	h.Code = Code(u32(b, offReqCode))
	switch {
	case h.Client.IsZero():
		return invalid("request: client is 0")
	case !h.Operation.Valid():
		return invalid("request: undefined operation %d", uint8(h.Operation))
	case h.Operation == OpRegister && (h.Session != 0 || h.Request != 0):
		return invalid("request: register needs session 0 and request 0")
	case h.Operation != OpRegister && h.Operation != OpNonReplicated && (h.Session == 0 || h.Request == 0):
		return invalid("request: %v needs session and request > 0", h.Operation)
	}
	return nil
}

// CheckRequestChecksum reports whether body matches a stamped
// request_checksum. An unstamped (zero) checksum always matches.
func (h *RequestHeader) CheckRequestChecksum(body []byte) bool {
	return h.RequestChecksum.IsZero() || h.RequestChecksum == Checksum(body)
}
