package wire

import (
	"strings"
	"testing"
)

// Every read code has a name, none is also a replicated operation's code,
// and an operation's code names the operation.
func TestCodes(t *testing.T) {
	for c, name := range codeNames {
		if c.String() != name || strings.HasPrefix(name, "Code(") || !c.IsRead() {
			t.Errorf("%d: %q", uint32(c), c.String())
		}
		if op, ok := OperationForCode(c); ok {
			t.Errorf("read code %v is also %v's", c, op)
		}
	}
	if len(codeNames) != 23 {
		t.Errorf("%d read codes", len(codeNames))
	}
	if got := OpCreateStream.Code(); got != 202 || got.String() != "CreateStream" || got.IsRead() {
		t.Errorf("CreateStream's code %d %q", uint32(got), got)
	}
	if got := Code(60000).String(); got != "Code(60000)" {
		t.Errorf("unknown code: %q", got)
	}
	var h RequestHeader
	buf := make([]byte, HeaderSize)
	(&RequestHeader{Prefix: Prefix{Command: CommandRequest, Size: HeaderSize}, Client: NewClientID(0, 1), Request: 1, Operation: OpNonReplicated, Code: CodeGetTopics}).Put(buf)
	if err := h.Decode(buf); err != nil || h.Code != CodeGetTopics || h.Code.String() != "GetTopics" {
		t.Fatalf("%v %v", h.Code, err)
	}
}
