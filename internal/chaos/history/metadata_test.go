package history

import "testing"

func TestMetadataModelHandMade(t *testing.T) {
	cases := []struct {
		name string
		ops  *h
		want bool
	}{
		{"create, exists, topics, delete", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 3, 4, "a", "", Ok, Exists).
			meta(CreateTopic, 5, 6, "a", "t", Ok, OK).meta(CreateTopic, 7, 8, "a", "t", Ok, Exists).
			meta(CreateTopic, 7, 8, "b", "t", Ok, NotFound).getStream(9, 10, "a", true, "t").
			meta(DeleteTopic, 11, 12, "a", "u", Ok, NotFound).
			meta(DeleteStream, 13, 14, "a", "", Ok, OK).meta(DeleteStream, 15, 16, "a", "", Ok, NotFound).
			getStream(17, 18, "a", false), true},
		{"deleting a stream deletes its topics", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateTopic, 3, 4, "a", "t", Ok, OK).
			meta(DeleteStream, 5, 6, "a", "", Ok, OK).meta(CreateStream, 7, 8, "a", "", Ok, OK).
			getStream(9, 10, "a", true), true},
		{"topics survive a stream's delete", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateTopic, 3, 4, "a", "t", Ok, OK).
			meta(DeleteStream, 5, 6, "a", "", Ok, OK).meta(CreateStream, 7, 8, "a", "", Ok, OK).
			getStream(9, 10, "a", true, "t"), false},
		{"two concurrent creates: one wins", new(h).
			meta(CreateStream, 1, 4, "a", "", Ok, Exists).meta(CreateStream, 2, 3, "a", "", Ok, OK), true},
		{"two concurrent creates cannot both win", new(h).
			meta(CreateStream, 1, 4, "a", "", Ok, OK).meta(CreateStream, 2, 3, "a", "", Ok, OK), false},
		{"stale read", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).getStream(3, 4, "a", false), false},
		{"lost write", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 3, 4, "a", "", Ok, OK), false},
		{"unknown create may land late", new(h).
			meta(CreateStream, 1, 2, "a", "", Unknown, 0).getStream(3, 4, "a", false).getStream(5, 6, "a", true), true},
		{"failed create never lands", new(h).
			meta(CreateStream, 1, 2, "a", "", Failed, 0).getStream(3, 4, "a", true), false},
		{"list reads every stream", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 1, 2, "b", "", Ok, OK).
			list(3, 4, "a", "b"), true},
		{"list misses a created stream", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 1, 2, "b", "", Ok, OK).
			list(3, 4, "b"), false},
		// Each stream alone is fine; only one order of the creates exists,
		// and each list contradicts it: the check must not split by stream.
		{"lists disagree on order", new(h).
			meta(CreateStream, 1, 10, "a", "", Ok, OK).meta(CreateStream, 1, 10, "b", "", Ok, OK).
			list(2, 3, "a").list(2, 3, "b"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { linearizable(t, CheckMetadata, *c.ops, c.want) })
	}
}

func TestMetadataModelSplitsByStreamUnlessListed(t *testing.T) {
	ops := *new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 1, 2, "b", "", Ok, OK)
	if v := linearizable(t, CheckMetadata, ops, true); v.Keys != 2 {
		t.Fatalf("%d keys, want 2 (one per stream)", v.Keys)
	}
	ops = *new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 1, 2, "b", "", Ok, OK).list(3, 4, "a", "b")
	if v := linearizable(t, CheckMetadata, ops, true); v.Keys != 1 {
		t.Fatalf("%d keys, want 1 (a list reads every stream)", v.Keys)
	}
}
