package config

import "github.com/shoal-io/shoal/internal/units"

// Duration and Size are the configuration's human-readable value types
// (internal/units).
type (
	Duration = units.Duration
	Size     = units.Size
)
