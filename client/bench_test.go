package client

import "testing"

// BenchmarkDecodeGetTopic decodes a GetTopic reply into the SDK's Topic.
func BenchmarkDecodeGetTopic(b *testing.B) {
	body := testBodies()["GetTopic"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeGetTopic(body); err != nil {
			b.Fatal(err)
		}
	}
}
