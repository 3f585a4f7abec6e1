package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Duration is a time.Duration written as a human-readable string, the way
// Iggy's configuration writes them: "30 s", "5s", "100ms", "1m 30s", "2h",
// "7 days". Units are ns, us/µs, ms, s, m (minutes), h, d, w, M (months of
// 30.44 days) and y (years of 365.25 days), with long forms such as "sec",
// "minutes" or "hours"; they are case-sensitive ("m" is a minute, "M" a
// month).
// Components are a number (decimals allowed) and a unit, optionally
// separated by spaces; "0" alone is zero.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d in Go's notation ("1m30s"), which UnmarshalText
// accepts.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "nsec": time.Nanosecond, "nanos": time.Nanosecond,
	"us": time.Microsecond, "µs": time.Microsecond, "usec": time.Microsecond, "micros": time.Microsecond,
	"ms": time.Millisecond, "msec": time.Millisecond, "millis": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	// As humantime defines them: a month is 30.44 days, a year 365.25.
	"M": 2_630_016 * time.Second, "month": 2_630_016 * time.Second, "months": 2_630_016 * time.Second,
	"y": 31_557_600 * time.Second, "year": 31_557_600 * time.Second, "years": 31_557_600 * time.Second,
}

// ParseDuration parses Iggy's human-readable durations (see Duration).
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "0" {
		return 0, nil
	}
	if in == "" {
		return 0, errors.New("empty duration")
	}
	var total float64
	for in != "" {
		num, rest := splitNumber(in)
		if num == "" {
			return 0, fmt.Errorf("duration %q: expected a number at %q", s, in)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad number %q", s, num)
		}
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
		if i < 0 {
			i = len(rest)
		}
		unit, ok := durationUnits[rest[:i]]
		if !ok {
			if rest[:i] == "" {
				return 0, fmt.Errorf("duration %q: missing unit after %s (use e.g. \"%s s\")", s, num, num)
			}
			return 0, fmt.Errorf("duration %q: unknown unit %q", s, rest[:i])
		}
		total += v * float64(unit)
		in = strings.TrimLeft(rest[i:], " ")
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("duration %q overflows", s)
	}
	return time.Duration(total), nil
}

// splitNumber splits a leading unsigned decimal number off s.
func splitNumber(s string) (num, rest string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

// Size is a byte count written as "64 MiB", "1 GB", "1200 B" or a plain
// number (a TOML integer or a string of digits). Decimal prefixes (KB, MB,
// GB, TB) are powers of 1000, binary ones (KiB, MiB, GiB, TiB) powers of
// 1024; units are case-insensitive.
type Size uint64

// UnmarshalText parses a size string.
func (z *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*z = Size(v)
	return nil
}

// MarshalText writes z as a plain byte count.
func (z Size) MarshalText() ([]byte, error) { return strconv.AppendUint(nil, uint64(z), 10), nil }

func (z Size) String() string {
	for _, u := range []struct {
		name string
		v    uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if uint64(z) >= u.v && uint64(z)%u.v == 0 {
			return strconv.FormatUint(uint64(z)/u.v, 10) + " " + u.name
		}
	}
	return strconv.FormatUint(uint64(z), 10) + " B"
}

var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "tib": 1 << 40,
}

// ParseSize parses a byte size (see Size).
func ParseSize(s string) (uint64, error) {
	in := strings.TrimSpace(s)
	num, rest := splitNumber(in)
	if num == "" {
		return 0, fmt.Errorf("size %q: expected a number", s)
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(rest))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q", s, strings.TrimSpace(rest))
	}
	if !strings.Contains(num, ".") {
		v, err := strconv.ParseUint(num, 10, 64)
		if err != nil || v > math.MaxUint64/unit {
			return 0, fmt.Errorf("size %q out of range", s)
		}
		return v * unit, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: bad number %q", s, num)
	}
	if f*float64(unit) >= math.MaxUint64 {
		return 0, fmt.Errorf("size %q out of range", s)
	}
	return uint64(f * float64(unit)), nil
}
