package partition

import (
	"errors"
	"fmt"

	"github.com/shoal-io/shoal/internal/journal"
)

// CorruptError describes damage found in a partition's files: a segment
// whose bytes cannot be what Append wrote, at a place where they may have
// been acknowledged. It matches ErrCorrupt with errors.Is. Nothing is
// truncated or removed when it is returned; the operator restores the
// files (see the package doc, Recovery).
type CorruptError struct {
	Path   string // the damaged file
	Offset int64  // byte position of the first damaged batch (or index entry)
	Reason string // what failed
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("partition: corrupt segment: %s at offset %d: %s", e.Path, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// IsCorrupt reports whether err reports damaged data on disk in a segment,
// a sealed index or the consumer offsets log (journal.IsCorrupt), as
// opposed to an I/O failure: retrying will not help, the partition must
// not be served, and the files must be restored.
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) || journal.IsCorrupt(err) }
