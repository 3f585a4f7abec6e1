package wire

// MaxViewChangeHeaders is the most PrepareHeaders a DoViewChange or
// StartView body may carry.
const MaxViewChangeHeaders = 128

// StartViewChangeHeader starts a view change (command 10, sealed).
//
//	off  size field
//	128   8   group  u64
//	136 120   reserved
type StartViewChangeHeader struct {
	Prefix
	Group uint64
}

// Put writes h into b[:HeaderSize] with command StartViewChange.
func (h *StartViewChangeHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandStartViewChange)
	put64(b, 128, h.Group)
}

// Decode reads a StartViewChange header; release must be 0.
func (h *StartViewChangeHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandStartViewChange); err != nil {
		return err
	}
	h.Group = u64(b, 128)
	if h.Release != 0 {
		return invalid("start_view_change: release %d", h.Release)
	}
	return nil
}

// DoViewChangeHeader carries a replica's log to the new primary (command
// 11, sealed). The body is N×256-byte PrepareHeaders, N <= 128.
//
//	off  size field
//	128   8   op              u64
//	136   8   commit          u64
//	144   8   group           u64
//	152   4   log_view        u32, <= view
//	156  68   reserved
//	224  16   nack_bitset     u128, bit i for body header i
//	240  16   present_bitset  u128
type DoViewChangeHeader struct {
	Prefix
	Op            Op
	Commit        Op
	Group         uint64
	LogView       View
	NackBitset    Uint128
	PresentBitset Uint128
}

// Put writes h into b[:HeaderSize] with command DoViewChange.
func (h *DoViewChangeHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandDoViewChange)
	put64(b, 128, uint64(h.Op))
	put64(b, 136, uint64(h.Commit))
	put64(b, 144, h.Group)
	put32(b, 152, uint32(h.LogView))
	putU128(b[224:], h.NackBitset)
	putU128(b[240:], h.PresentBitset)
}

// Decode reads a DoViewChange header: release 0, log_view <= view,
// commit <= op, a body of whole headers, and no bitset bits beyond it.
func (h *DoViewChangeHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandDoViewChange); err != nil {
		return err
	}
	h.Op = Op(u64(b, 128))
	h.Commit = Op(u64(b, 136))
	h.Group = u64(b, 144)
	h.LogView = View(u32(b, 152))
	h.NackBitset = getU128(b[224:])
	h.PresentBitset = getU128(b[240:])
	switch {
	case h.Release != 0:
		return invalid("do_view_change: release %d", h.Release)
	case h.LogView > h.View:
		return invalid("do_view_change: log_view %d > view %d", h.LogView, h.View)
	case h.Commit > h.Op:
		return invalid("do_view_change: commit %d > op %d", h.Commit, h.Op)
	}
	n, err := suffixLen(h.Size)
	if err != nil {
		return err
	}
	if beyond := bitsFrom(n); (h.NackBitset.Lo&beyond.Lo)|(h.NackBitset.Hi&beyond.Hi)|
		(h.PresentBitset.Lo&beyond.Lo)|(h.PresentBitset.Hi&beyond.Hi) != 0 {
		return invalid("do_view_change: bitset bits beyond %d headers", n)
	}
	return nil
}

// StartViewHeader installs a new view (command 12, sealed). The body is
// N×256-byte PrepareHeaders, N <= 128.
//
//	off  size field
//	128   8   op           u64
//	136   8   commit       u64
//	144   8   group        u64
//	152  88   reserved
//	240  16   incarnation  u128
type StartViewHeader struct {
	Prefix
	Op          Op
	Commit      Op
	Group       uint64
	Incarnation Uint128
}

// Put writes h into b[:HeaderSize] with command StartView.
func (h *StartViewHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandStartView)
	put64(b, 128, uint64(h.Op))
	put64(b, 136, uint64(h.Commit))
	put64(b, 144, h.Group)
	putU128(b[240:], h.Incarnation)
}

// Decode reads a StartView header: release 0, commit <= op, a body of
// whole headers.
func (h *StartViewHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandStartView); err != nil {
		return err
	}
	h.Op = Op(u64(b, 128))
	h.Commit = Op(u64(b, 136))
	h.Group = u64(b, 144)
	h.Incarnation = getU128(b[240:])
	switch {
	case h.Release != 0:
		return invalid("start_view: release %d", h.Release)
	case h.Commit > h.Op:
		return invalid("start_view: commit %d > op %d", h.Commit, h.Op)
	}
	_, err := suffixLen(h.Size)
	return err
}

// RequestStartViewHeader asks the current primary for a StartView
// (command 17, sealed).
//
//	off  size field
//	128   8   group        u64
//	136 104   reserved
//	240  16   incarnation  u128
type RequestStartViewHeader struct {
	Prefix
	Group       uint64
	Incarnation Uint128
}

// Put writes h into b[:HeaderSize] with command RequestStartView.
func (h *RequestStartViewHeader) Put(b []byte) {
	b = putPrefix(&h.Prefix, b, CommandRequestStartView)
	put64(b, 128, h.Group)
	putU128(b[240:], h.Incarnation)
}

// Decode reads a RequestStartView header; release must be 0.
func (h *RequestStartViewHeader) Decode(b []byte) error {
	if err := decodePrefix(&h.Prefix, b, CommandRequestStartView); err != nil {
		return err
	}
	h.Group = u64(b, 128)
	h.Incarnation = getU128(b[240:])
	if h.Release != 0 {
		return invalid("request_start_view: release %d", h.Release)
	}
	return nil
}

// suffixLen returns how many PrepareHeaders a view-change body of a frame
// of size bytes carries.
func suffixLen(size uint32) (int, error) {
	body := int(size) - HeaderSize
	if body < 0 || body%HeaderSize != 0 || body/HeaderSize > MaxViewChangeHeaders {
		return 0, invalid("view change body of %d bytes is not 0..128 headers", body)
	}
	return body / HeaderSize, nil
}

// bitsFrom returns a mask of bits n..127.
func bitsFrom(n int) Uint128 {
	switch {
	case n >= 128:
		return Uint128{}
	case n >= 64:
		return Uint128{Hi: ^uint64(0) << (n - 64)}
	default:
		return Uint128{Lo: ^uint64(0) << n, Hi: ^uint64(0)}
	}
}
