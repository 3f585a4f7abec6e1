package partition

import (
	"testing"

	"github.com/shoal-io/shoal/internal/wire"
)

func TestXXH32(t *testing.T) {
	for in, want := range map[string]uint32{
		"":    0x02cc5d05,
		"a":   0x550d7456,
		"abc": 0x32d153ff,
		"Nobody inspects the spammish repetition": 0xe2293b2f,
	} {
		if got := XXH32([]byte(in)); got != want {
			t.Errorf("XXH32(%q) = %#x, want %#x", in, got, want)
		}
	}
}

func TestConsumerKeyOf(t *testing.T) {
	if k := ConsumerKeyOf(wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(7)}, 0); k != (ConsumerKey{wire.ConsumerSingle, 7}) {
		t.Fatal(k)
	}
	if k := ConsumerKeyOf(wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NamedID("abc")}, 0); k != (ConsumerKey{wire.ConsumerSingle, 0x32d153ff}) {
		t.Fatal(k)
	}
	if k := ConsumerKeyOf(wire.Consumer{Kind: wire.ConsumerGroup, ID: wire.NamedID("g")}, 4); k != (ConsumerKey{wire.ConsumerGroup, 4}) {
		t.Fatal(k)
	}
}
