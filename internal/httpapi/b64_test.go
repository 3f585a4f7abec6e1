package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestB64(t *testing.T) {
	for raw, want := range map[string][]byte{`"////"`: {0xff, 0xff, 0xff}, `"\/\/\/\/"`: {0xff, 0xff, 0xff}, `"aGk="`: []byte("hi"), `""`: {}} {
		var v b64
		if err := json.Unmarshal([]byte(raw), &v); err != nil || !bytes.Equal(v, want) {
			t.Errorf("%s: %x %v, want %x", raw, []byte(v), err, want)
		}
	}
	for _, raw := range []string{`5`, `"not base64!"`, `null`} {
		var v b64
		if err := json.Unmarshal([]byte(raw), &v); err == nil {
			t.Errorf("%s decoded", raw)
		}
	}
}
