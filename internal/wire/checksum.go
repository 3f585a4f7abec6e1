package wire

import (
	"errors"
	"fmt"

	"github.com/zeebo/xxh3"
)

// ErrChecksum means a frame seal, body checksum or request checksum does not
// match the bytes.
var ErrChecksum = errors.New("wire: checksum mismatch")

// Checksum is the protocol's checksum: XXH3-64 with seed 0 and the default
// secret, zero-extended into a u128 field (wire.md §1.9). XXH3-128 is not
// used anywhere.
func Checksum(b []byte) Uint128 { return Uint128{Lo: xxh3.Hash(b)} }

// SealFrame seals a replica-plane frame in place: checksum_body becomes
// XXH3(body) (0 for a header-only frame), then checksum becomes
// XXH3(header[16:256]), which covers checksum_body and so the whole frame.
// Call it last, after every other field is written.
func SealFrame(frame []byte) {
	body := frame[HeaderSize:]
	var cb Uint128
	if len(body) > 0 {
		cb = Checksum(body)
	}
	putU128(frame[offChecksumBody:], cb)
	putU128(frame[offChecksum:], Checksum(frame[offChecksumBody:HeaderSize]))
}

// VerifyFrame checks the seal of a sealed command's frame (Command.Sealed)
// and its body checksum. Frames of unsealed commands pass unchecked; their
// integrity rules are command-specific (VerifyPrepare, CheckRequestChecksum).
func VerifyFrame(frame []byte) error {
	cmd := PeekCommand(frame)
	if !cmd.Sealed() {
		return nil
	}
	if got, want := getU128(frame[offChecksum:]), Checksum(frame[offChecksumBody:HeaderSize]); got != want {
		return fmt.Errorf("%w: %v seal %v, computed %v", ErrChecksum, cmd, got, want)
	}
	return verifyBody(cmd, frame)
}

func verifyBody(cmd Command, frame []byte) error {
	body := frame[HeaderSize:]
	got := getU128(frame[offChecksumBody:])
	var want Uint128
	if len(body) > 0 {
		want = Checksum(body)
	}
	if got != want {
		return fmt.Errorf("%w: %v body checksum %v, computed %v", ErrChecksum, cmd, got, want)
	}
	return nil
}

// PrepareIdentity returns a prepare's identity checksum: XXH3 over all 256
// header bytes with checksum and view zeroed, so re-stamping a prepare in a
// new view keeps its identity. The next prepare's parent is this value. A
// RepairPrepare is a journaled Prepare sent back verbatim with command 19,
// so its identity is that of the Prepare it carries: the command byte
// counts as Prepare's.
func PrepareIdentity(header []byte) Uint128 {
	var h [HeaderSize]byte
	copy(h[:], header[:HeaderSize])
	clear(h[offChecksum : offChecksum+16])
	clear(h[offView : offView+4])
	if Command(h[offCommand]) == CommandRepairPrepare {
		h[offCommand] = byte(CommandPrepare)
	}
	return Checksum(h[:])
}

// StampPrepare sets a Prepare or RepairPrepare frame's checksum_body to
// XXH3(body) (0 when empty) and its checksum to the identity checksum.
func StampPrepare(frame []byte) {
	body := frame[HeaderSize:]
	var cb Uint128
	if len(body) > 0 {
		cb = Checksum(body)
	}
	putU128(frame[offChecksumBody:], cb)
	putU128(frame[offChecksum:], PrepareIdentity(frame))
}

// VerifyPrepare checks a Prepare or RepairPrepare frame's identity checksum
// and body checksum.
func VerifyPrepare(frame []byte) error {
	cmd := PeekCommand(frame)
	if got, want := getU128(frame[offChecksum:]), PrepareIdentity(frame); got != want {
		return fmt.Errorf("%w: %v identity %v, computed %v", ErrChecksum, cmd, got, want)
	}
	return verifyBody(cmd, frame)
}
