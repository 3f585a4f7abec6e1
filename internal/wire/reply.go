package wire

// ReplyHeader is the header of a server Reply (command 8, unsealed).
//
//	off  size field
//	128  16   request_checksum  u128, echoed from the request
//	144  16   context           u128, 0
//	160  16   client            u128
//	176   8   op                u64 committed op (session for reads and logins)
//	184   8   commit            u64
//	192   8   timestamp         u64, echoed
//	200   8   request           u64, echo of Request.request
//	208   1   operation         Operation
//	209   7   padding
//	216   4   status            u32: 0 ok, else an IggyError code and an empty body
//	220  36   reserved
type ReplyHeader struct {
	Prefix
	RequestChecksum Uint128
	Context         Uint128
	Client          ClientID
	Op              Op
	Commit          Op
	Timestamp       uint64
	Request         uint64
	Operation       Operation
	Status          Status
}

const (
	offRepReqChecksum = 128
	offRepContext     = 144
	offRepClient      = 160
	offRepOp          = 176
	offRepCommit      = 184
	offRepTimestamp   = 192
	offRepRequest     = 200
	offRepOperation   = 208
	offRepStatus      = 216
)

// Put writes h into b[:HeaderSize] with command Reply.
func (h *ReplyHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandReply)
	putU128(b[offRepReqChecksum:], h.RequestChecksum)
	putU128(b[offRepContext:], h.Context)
	putU128(b[offRepClient:], Uint128(h.Client))
	put64(b, offRepOp, uint64(h.Op))
	put64(b, offRepCommit, uint64(h.Commit))
	put64(b, offRepTimestamp, h.Timestamp)
	put64(b, offRepRequest, h.Request)
	b[offRepOperation] = byte(h.Operation)
	put32(b, offRepStatus, uint32(h.Status))
}

// Decode reads a Reply header from b. The operation must be declared, and a
// non-zero status must come with an empty body (size 256).
func (h *ReplyHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandReply); err != nil {
		return err
	}
	h.RequestChecksum = getU128(b[offRepReqChecksum:])
	h.Context = getU128(b[offRepContext:])
	h.Client = ClientID(getU128(b[offRepClient:]))
	h.Op = Op(u64(b, offRepOp))
	h.Commit = Op(u64(b, offRepCommit))
	h.Timestamp = u64(b, offRepTimestamp)
	h.Request = u64(b, offRepRequest)
	h.Operation = Operation(b[offRepOperation])
	h.Status = Status(u32(b, offRepStatus))
	switch {
	case !h.Operation.Valid():
		return invalid("reply: undefined operation %d", uint8(h.Operation))
	case h.Status != StatusOK && h.Size != HeaderSize:
		return invalid("reply: status %d with a body", uint32(h.Status))
	}
	return nil
}

// ReplyTo fills h as the reply to req: request id, operation, timestamp,
// request checksum and client echoed; size set for a body of bodyLen bytes.
func (h *ReplyHeader) ReplyTo(req *RequestHeader, bodyLen int) {
	*h = ReplyHeader{
		Prefix:          Prefix{Size: uint32(HeaderSize + bodyLen), Command: CommandReply},
		RequestChecksum: req.RequestChecksum,
		Client:          req.Client,
		Timestamp:       req.Timestamp,
		Request:         req.Request,
		Operation:       req.Operation,
	}
}
