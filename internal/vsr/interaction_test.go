package vsr_test

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestInteraction runs the scripted scenarios in testdata/*.txt. Run
// `go test ./internal/vsr -run Interaction -rewrite` to regenerate the
// expected output, then inspect the diff (etcd-io/raft interaction_test.go).
func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if !strings.HasSuffix(path, ".txt") {
			t.Skip("not a scenario") // e.g. a fuzz corpus under testdata/fuzz
		}
		e := &env{}
		datadriven.RunTest(t, path, e.handle)
	})
}
