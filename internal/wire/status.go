package wire

import "strconv"

// Status is a reply status: 0 for success, otherwise an IggyError code. A
// Reply with a non-zero status has an empty body (wire.md §1.6).
type Status uint32

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "Status(" + strconv.FormatUint(uint64(s), 10) + ")"
}

// Error is a non-zero Status as a Go error; errors.Is matches by code.
type Error struct {
	Status Status
}

func (e *Error) Error() string {
	return "iggy error " + strconv.FormatUint(uint64(e.Status), 10) + " (" + e.Status.String() + ")"
}

// Is reports whether target is an *Error with the same status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// Err returns s as an error, or nil for StatusOK.
func (s Status) Err() error {
	if s == StatusOK {
		return nil
	}
	return &Error{Status: s}
}
