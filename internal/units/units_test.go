package units

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30 s", 30 * time.Second}, {"5s", 5 * time.Second}, {"100ms", 100 * time.Millisecond},
		{"1m 30s", 90 * time.Second}, {"1m30s", 90 * time.Second}, {"2h", 2 * time.Hour},
		{"1 day", 24 * time.Hour}, {"250 us", 250 * time.Microsecond}, {"0", 0}, {" 10 seconds ", 10 * time.Second},
		{"1.5s", 1500 * time.Millisecond}, {"1M", 2_630_016 * time.Second}, {"1 year", 8766 * time.Hour}, {"1h0m0s", time.Hour}, {"2 minutes", 2 * time.Minute},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		// Go's notation round-trips.
		var d Duration
		b, _ := Duration(tc.want).MarshalText()
		if err := d.UnmarshalText(b); err != nil || d.Std() != tc.want {
			t.Errorf("round trip %q: %v, %v", b, d, err)
		}
	}
	for _, in := range []string{"", "30", "s", "5 parsecs", "1..2s", "-5s", "9999999999999h"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"64 MiB", 64 << 20}, {"1 GB", 1e9}, {"1200 B", 1200}, {"4096", 4096}, {"2MB", 2e6},
		{"1 kib", 1024}, {"1.5 KiB", 1536}, {"3 GiB", 3 << 30}, {"1 TiB", 1 << 40}, {" 7 ", 7},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "MiB", "5 parsecs", "-1", "99999999999999999999", "20000000 TiB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
	if s := Size(64 << 20).String(); s != "64 MiB" {
		t.Errorf("String = %q", s)
	}
	if s := Size(1000).String(); s != "1000 B" {
		t.Errorf("String = %q", s)
	}
}
