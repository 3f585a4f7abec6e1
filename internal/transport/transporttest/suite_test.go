package transporttest_test

import (
	"testing"

	"github.com/shoal-io/shoal/internal/transport/memconn"
	"github.com/shoal-io/shoal/internal/transport/transporttest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSuiteOnMem runs the suite on the in-memory transport; the tcp and
// memconn packages run it too.
func TestSuiteOnMem(t *testing.T) {
	transporttest.Run(t, func(t *testing.T, max uint32) transporttest.Pair {
		a, b := memconn.Pipe(max)
		return transporttest.Pair{Client: a, Server: b, Truncate: func(f []byte, n int) error {
			err := a.WriteRaw(f[:n])
			a.Close()
			return err
		}}
	})
}
