package httpapi

import (
	"encoding/json"
	"math/big"
	"strconv"
)

// byteSize is a size in bytes as Iggy's JSON writes one (IggyByteSize): a
// string with the largest unit, binary or decimal, that renders the value
// exactly with at most three decimals ("0 B", "1.5 KB", "10 KiB",
// "3136.5 KiB").
type byteSize uint64

// units are tried from the largest down; at equal magnitude the binary
// unit (larger) comes first.
var sizeUnits = []struct {
	name string
	n    uint64
}{
	{"EiB", 1 << 60}, {"EB", 1e18}, {"PiB", 1 << 50}, {"PB", 1e15}, {"TiB", 1 << 40}, {"TB", 1e12},
	{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
}

func (b byteSize) String() string {
	v := uint64(b)
	for _, u := range sizeUnits {
		if v < u.n {
			continue
		}
		// Exact with three decimals: v*1000 is a multiple of the unit.
		thousandths := new(big.Int).Mul(new(big.Int).SetUint64(v), big.NewInt(1000))
		q, r := new(big.Int).QuoRem(thousandths, new(big.Int).SetUint64(u.n), new(big.Int))
		if r.Sign() != 0 {
			continue
		}
		whole, frac := q.Uint64()/1000, q.Uint64()%1000
		s := strconv.FormatUint(whole, 10)
		if frac != 0 {
			f := strconv.FormatUint(1000+frac, 10)[1:] // three digits
			for f[len(f)-1] == '0' {
				f = f[:len(f)-1]
			}
			s += "." + f
		}
		return s + " " + u.name
	}
	return strconv.FormatUint(v, 10) + " B"
}

// MarshalJSON writes the string form.
func (b byteSize) MarshalJSON() ([]byte, error) { return json.Marshal(b.String()) }
