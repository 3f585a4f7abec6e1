package vsr_test

import (
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestInteraction runs the scripted scenarios in testdata/*.txt. Run
// `go test ./internal/vsr -run Interaction -rewrite` to regenerate the
// expected output, then inspect the diff (etcd-io/raft interaction_test.go).
func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		e := &env{}
		datadriven.RunTest(t, path, e.handle)
	})
}
