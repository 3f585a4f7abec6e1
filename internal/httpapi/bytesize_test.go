package httpapi

import "testing"

func TestByteSize(t *testing.T) {
	for _, c := range []struct {
		n    uint64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1 KB"}, {1024, "1 KiB"}, {1500, "1.5 KB"}, {10240, "10 KiB"},
		{3211776, "3136.5 KiB"}, {3670016, "3.5 MiB"}, {2_000_000, "2 MB"}, {1 << 30, "1 GiB"}, {1001, "1.001 KB"},
		{1000001, "1000.001 KB"}, {1234567, "1234.567 KB"}, {18446744073709551615, "18446744073709551.615 KB"},
	} {
		if got := byteSize(c.n).String(); got != c.want {
			t.Errorf("byteSize(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
