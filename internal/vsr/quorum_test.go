package vsr

import "testing"

// TestQuorums checks the flexible quorums against TigerBeetle's table and
// that every view-change quorum intersects every replication quorum.
// Reference: TigerBeetle vsr.zig quorums; VR Revisited §4 (f+1 of 2f+1).
func TestQuorums(t *testing.T) {
	want := map[int][2]int{1: {1, 1}, 2: {2, 2}, 3: {2, 2}, 4: {2, 3}, 5: {3, 3}, 6: {3, 4}}
	for n := 1; n <= MaxReplicas; n++ {
		repl, vc := Quorums(n)
		if w, ok := want[n]; ok && (repl != w[0] || vc != w[1]) {
			t.Errorf("n=%d: quorums %d/%d, want %d/%d", n, repl, vc, w[0], w[1])
		}
		if repl+vc <= n || 2*vc <= n {
			t.Errorf("n=%d: quorums %d/%d need not intersect", n, repl, vc)
		}
	}
}
