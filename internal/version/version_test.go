package version

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Semver must follow Current when the version is bumped.
func TestSemverMatchesCurrent(t *testing.T) {
	var major, minor, patch uint32
	if _, err := fmt.Sscanf(Current, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("Current %q: %v", Current, err)
	}
	if want := major*1_000_000 + minor*1_000 + patch; Semver != want {
		t.Fatalf("Semver %d, want %d for %s", Semver, want, Current)
	}
}
