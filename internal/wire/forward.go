package wire

// The forwarding headers carry a login or logout from a backup to the
// primary and the result back (commands 26..29). All four are header-only
// (size 256), sealed, with a non-zero client and nonce and all reserved
// bytes zero.

// ForwardRegisterOutcome is ForwardRegisterResult byte 255.
type ForwardRegisterOutcome uint8

const (
	ForwardRegisterOK                         ForwardRegisterOutcome = 0
	ForwardRegisterNotPrimary                 ForwardRegisterOutcome = 1
	ForwardRegisterNotCaughtUp                ForwardRegisterOutcome = 2
	ForwardRegisterPipelineFull               ForwardRegisterOutcome = 3
	ForwardRegisterInProgress                 ForwardRegisterOutcome = 4
	ForwardRegisterCanceled                   ForwardRegisterOutcome = 5
	ForwardRegisterClientIDOwnedByAnotherUser ForwardRegisterOutcome = 6
)

// ForwardLogoutOutcome is ForwardLogoutResult byte 255.
type ForwardLogoutOutcome uint8

const (
	ForwardLogoutOK           ForwardLogoutOutcome = 0
	ForwardLogoutNotPrimary   ForwardLogoutOutcome = 1
	ForwardLogoutPipelineFull ForwardLogoutOutcome = 2
	ForwardLogoutInProgress   ForwardLogoutOutcome = 3
	ForwardLogoutCanceled     ForwardLogoutOutcome = 4
)

// ForwardRegisterHeader (command 26).
//
//	off  size field
//	128  16   client   u128
//	144  16   nonce    u128
//	160   4   user_id  u32
//	164  92   reserved
type ForwardRegisterHeader struct {
	Prefix
	Client ClientID
	Nonce  Uint128
	UserID uint32
}

// Put writes h into b[:HeaderSize] with command ForwardRegister, size 256.
func (h *ForwardRegisterHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandForwardRegister)
	putU128(b[128:], Uint128(h.Client))
	putU128(b[144:], h.Nonce)
	put32(b, 160, h.UserID)
}

// Decode reads a ForwardRegister header.
func (h *ForwardRegisterHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandForwardRegister); err != nil {
		return err
	}
	h.Client = ClientID(getU128(b[128:]))
	h.Nonce = getU128(b[144:])
	h.UserID = u32(b, 160)
	return checkForward(&h.Prefix, Uint128(h.Client), h.Nonce, b[164:HeaderSize])
}

// ForwardRegisterResultHeader (command 27).
//
//	off  size field
//	128  16   nonce      u128
//	144  16   client     u128
//	160   8   epoch      u64, 0 unless outcome is OK
//	168   8   watermark  u64, 0 unless outcome is OK
//	176  79   reserved
//	255   1   outcome    ForwardRegisterOutcome
type ForwardRegisterResultHeader struct {
	Prefix
	Nonce     Uint128
	Client    ClientID
	Epoch     Epoch
	Watermark uint64
	Outcome   ForwardRegisterOutcome
}

// Put writes h into b[:HeaderSize] with command ForwardRegisterResult, size 256.
func (h *ForwardRegisterResultHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandForwardRegisterResult)
	putU128(b[128:], h.Nonce)
	putU128(b[144:], Uint128(h.Client))
	put64(b, 160, uint64(h.Epoch))
	put64(b, 168, h.Watermark)
	b[255] = byte(h.Outcome)
}

// Decode reads a ForwardRegisterResult header.
func (h *ForwardRegisterResultHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandForwardRegisterResult); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.Client = ClientID(getU128(b[144:]))
	h.Epoch = Epoch(u64(b, 160))
	h.Watermark = u64(b, 168)
	h.Outcome = ForwardRegisterOutcome(b[255])
	if err := checkForward(&h.Prefix, Uint128(h.Client), h.Nonce, b[176:255]); err != nil {
		return err
	}
	switch {
	case h.Outcome > ForwardRegisterClientIDOwnedByAnotherUser:
		return invalid("forward_register_result: outcome %d", h.Outcome)
	case h.Outcome != ForwardRegisterOK && (h.Epoch != 0 || h.Watermark != 0):
		return invalid("forward_register_result: epoch or watermark with outcome %d", h.Outcome)
	}
	return nil
}

// ForwardLogoutHeader (command 28).
//
//	off  size field
//	128  16   client   u128
//	144  16   nonce    u128
//	160   8   session  u64
//	168   8   request  u64
//	176  80   reserved
type ForwardLogoutHeader struct {
	Prefix
	Client  ClientID
	Nonce   Uint128
	Session Epoch
	Request uint64
}

// Put writes h into b[:HeaderSize] with command ForwardLogout, size 256.
func (h *ForwardLogoutHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandForwardLogout)
	putU128(b[128:], Uint128(h.Client))
	putU128(b[144:], h.Nonce)
	put64(b, 160, uint64(h.Session))
	put64(b, 168, h.Request)
}

// Decode reads a ForwardLogout header.
func (h *ForwardLogoutHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandForwardLogout); err != nil {
		return err
	}
	h.Client = ClientID(getU128(b[128:]))
	h.Nonce = getU128(b[144:])
	h.Session = Epoch(u64(b, 160))
	h.Request = u64(b, 168)
	return checkForward(&h.Prefix, Uint128(h.Client), h.Nonce, b[176:HeaderSize])
}

// ForwardLogoutResultHeader (command 29).
//
//	off  size field
//	128  16   nonce    u128
//	144  16   client   u128
//	160   8   commit   u64, 0 unless outcome is OK
//	168  87   reserved
//	255   1   outcome  ForwardLogoutOutcome
type ForwardLogoutResultHeader struct {
	Prefix
	Nonce   Uint128
	Client  ClientID
	Commit  Op
	Outcome ForwardLogoutOutcome
}

// Put writes h into b[:HeaderSize] with command ForwardLogoutResult, size 256.
func (h *ForwardLogoutResultHeader) Put(b []byte) {
	h.Size = HeaderSize
	b = putPrefix(&h.Prefix, b, CommandForwardLogoutResult)
	putU128(b[128:], h.Nonce)
	putU128(b[144:], Uint128(h.Client))
	put64(b, 160, uint64(h.Commit))
	b[255] = byte(h.Outcome)
}

// Decode reads a ForwardLogoutResult header.
func (h *ForwardLogoutResultHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandForwardLogoutResult); err != nil {
		return err
	}
	h.Nonce = getU128(b[128:])
	h.Client = ClientID(getU128(b[144:]))
	h.Commit = Op(u64(b, 160))
	h.Outcome = ForwardLogoutOutcome(b[255])
	if err := checkForward(&h.Prefix, Uint128(h.Client), h.Nonce, b[168:255]); err != nil {
		return err
	}
	switch {
	case h.Outcome > ForwardLogoutCanceled:
		return invalid("forward_logout_result: outcome %d", h.Outcome)
	case h.Outcome != ForwardLogoutOK && h.Commit != 0:
		return invalid("forward_logout_result: commit with outcome %d", h.Outcome)
	}
	return nil
}

func checkForward(p *Prefix, client, nonce Uint128, reserved []byte) error {
	switch {
	case p.Size != HeaderSize:
		return invalid("%v: size %d, want 256", p.Command, p.Size)
	case client.IsZero():
		return invalid("%v: client is 0", p.Command)
	case nonce.IsZero():
		return invalid("%v: nonce is 0", p.Command)
	case !allZero(reserved):
		return invalid("%v: reserved bytes must be zero", p.Command)
	}
	return nil
}
