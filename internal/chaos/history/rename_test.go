package history

import "testing"

// rename is a RenameStream of from to to with outcome res and, when Ok,
// reply code.
func (x *h) rename(call, ret int64, from, to string, res Result, code Code) *h {
	return x.add(Op{Kind: RenameStream, Call: call, Return: ret, Result: res,
		Args: Args{Partition: Partition{Stream: from}, Name: to}, Reply: Reply{Code: code}})
}

// user is a CreateUser of name with outcome res and, when Ok, reply code.
func (x *h) user(call, ret int64, name string, res Result, code Code) *h {
	return x.add(Op{Kind: CreateUser, Call: call, Return: ret, Result: res, Args: Args{Name: name}, Reply: Reply{Code: code}})
}

func TestMetadataModelRenamesAndUsers(t *testing.T) {
	cases := []struct {
		name string
		ops  *h
		want bool
	}{
		{"rename moves the topics", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateTopic, 3, 4, "a", "t", Ok, OK).
			rename(5, 6, "a", "b", Ok, OK).getStream(7, 8, "a", false).getStream(7, 8, "b", true, "t").
			list(9, 10, "b"), true},
		{"renamed stream still under its old name", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).rename(3, 4, "a", "b", Ok, OK).getStream(5, 6, "a", true), false},
		{"rename of a missing stream", new(h).rename(1, 2, "a", "b", Ok, NotFound).getStream(3, 4, "b", false), true},
		{"rename onto a taken name", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 1, 2, "b", "", Ok, OK).
			rename(3, 4, "a", "b", Ok, Exists).list(5, 6, "a", "b"), true},
		{"a rename applied twice answers exists: not linearizable", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).rename(3, 4, "a", "b", Ok, Exists), false},
		{"unknown rename may land", new(h).
			meta(CreateStream, 1, 2, "a", "", Ok, OK).rename(3, 4, "a", "b", Unknown, 0).getStream(5, 6, "b", true), true},
		{"users", new(h).user(1, 2, "u", Ok, OK).user(3, 4, "u", Ok, Exists).user(3, 4, "v", Ok, OK), true},
		{"a user created twice", new(h).user(1, 2, "u", Ok, OK).user(3, 4, "u", Ok, OK), false},
		{"a unique user that already exists", new(h).user(1, 2, "u", Ok, Exists), false},
		{"users are not streams", new(h).user(1, 2, "a", Ok, OK).list(3, 4).getStream(3, 4, "a", false), true},
	}
	for _, c := range cases {
		for _, split := range []bool{false, true} {
			t.Run(c.name, func(t *testing.T) {
				v := CheckMetadata(*c.ops, Options{SplitLists: split})
				if got := v.Err() == nil; got != c.want {
					t.Errorf("split=%v: linearizable = %v (%v), want %v; history:\n%s", split, got, v.Err(), c.want, dump(*c.ops))
				}
			})
		}
	}
}

// With SplitLists, lists are checked per group of related names: a list
// that misses a stream still fails, but two lists that each see one of two
// concurrent creates pass (the documented weakening).
func TestMetadataSplitLists(t *testing.T) {
	split := func(ops *h, want bool, keys int) {
		t.Helper()
		v := CheckMetadata(*ops, Options{SplitLists: true})
		if got := v.Err() == nil; got != want || v.Keys != keys {
			t.Errorf("linearizable = %v with %d keys, want %v with %d; history:\n%s", got, v.Keys, want, keys, dump(*ops))
		}
	}
	split(new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).meta(CreateStream, 1, 2, "b", "", Ok, OK).list(3, 4, "b"), false, 2)
	split(new(h).meta(CreateStream, 1, 10, "a", "", Ok, OK).meta(CreateStream, 1, 10, "b", "", Ok, OK).
		list(2, 3, "a").list(2, 3, "b"), true, 2)
	split(new(h).list(1, 2, "ghost"), false, 1)
	split(new(h).list(1, 2), true, 1)
	// An early list that names nothing of a group is left out of it; one
	// that names a stream before its create is kept, and fails.
	split(new(h).list(1, 2).meta(CreateStream, 3, 4, "a", "", Ok, OK).list(5, 6, "a"), true, 1)
	split(new(h).list(1, 2, "a").meta(CreateStream, 3, 4, "a", "", Ok, OK), false, 1)
	// Once a group's writes are all acknowledged, later lists must agree:
	// the first is checked, and any that differs from it.
	split(new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).list(3, 4, "a").list(5, 6, "a").list(7, 8), false, 1)
	split(new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).list(3, 4).list(5, 6).list(7, 8), false, 1)
	split(new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).list(3, 4, "a").list(5, 6, "a").getStream(7, 8, "a", true), true, 1)
	// An unknown write never settles: it may land between two lists.
	split(new(h).meta(CreateStream, 1, 2, "a", "", Unknown, 0).list(3, 4).list(5, 6, "a").list(7, 8, "a"), true, 1)
	split(new(h).meta(CreateStream, 1, 2, "a", "", Unknown, 0).list(3, 4, "a").list(5, 6), false, 1)
	// A rename joins its names into one group.
	split(new(h).meta(CreateStream, 1, 2, "a", "", Ok, OK).rename(3, 4, "a", "b", Ok, OK).
		meta(CreateStream, 1, 2, "c", "", Ok, OK).list(5, 6, "b", "c"), true, 2)
}
