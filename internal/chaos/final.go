package chaos

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shoal-io/shoal/internal/chaos/history"
)

// fate is what a history says about one stream or user name. The cluster
// workload never reuses a name (every create and every rename target is
// fresh), so each name is made at most once and removed at most once.
type fate struct {
	madeOK   bool // a create (or rename onto it) was acknowledged
	mayMake  bool // a create may have taken effect (acknowledged or unknown)
	removeOK bool // a delete (or rename away) was acknowledged
	mayGo    bool // a delete may have taken effect (acknowledged or unknown)
}

// fates reads every stream's and user's fate from ops; users are keyed
// "user:" + name.
func fates(ops []history.Op) map[string]*fate {
	out := map[string]*fate{}
	get := func(name string) *fate {
		f := out[name]
		if f == nil {
			f = &fate{}
			out[name] = f
		}
		return f
	}
	for _, o := range ops {
		acked := o.Result == history.Ok && o.Reply.Code == history.OK
		maybe := acked || o.Result == history.Unknown
		made, gone := "", ""
		switch o.Kind {
		case history.CreateStream:
			made = o.Args.Partition.Stream
		case history.CreateUser:
			made = "user:" + o.Args.Name
		case history.DeleteStream:
			gone = o.Args.Partition.Stream
		case history.RenameStream:
			made, gone = o.Args.Name, o.Args.Partition.Stream
		default:
			continue
		}
		if made != "" {
			f := get(made)
			f.madeOK, f.mayMake = f.madeOK || acked, f.mayMake || maybe
		}
		if gone != "" {
			f := get(gone)
			f.removeOK, f.mayGo = f.removeOK || acked, f.mayGo || maybe
		}
	}
	return out
}

// checkFinal checks every node's final view against the history: no
// acknowledged change is lost (a stream whose creation was acknowledged
// and that nothing may have deleted is there; so is every acknowledged
// user) and nothing appears that no operation could have made or that an
// acknowledged delete removed. The root user is the only one not made by
// the history.
func checkFinal(ops []history.Op, views []nodeView) error {
	fs := fates(ops)
	var problems []string
	for i, v := range views {
		has := map[string]bool{}
		for _, s := range v.Streams {
			has[s] = true
		}
		for _, u := range v.Users {
			has["user:"+u] = true
		}
		delete(has, "user:iggy")
		for _, name := range slices.Sorted(maps.Keys(fs)) {
			f := fs[name]
			switch {
			case f.madeOK && !f.mayGo && !has[name]:
				problems = append(problems, fmt.Sprintf("node %d lacks %s, acknowledged", i, name))
			case has[name] && f.removeOK:
				problems = append(problems, fmt.Sprintf("node %d has %s, whose delete was acknowledged", i, name))
			}
		}
		for name := range has {
			if f := fs[name]; f == nil || !f.mayMake {
				problems = append(problems, fmt.Sprintf("node %d has %s, never made", i, name))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	const show = 10
	n := len(problems)
	if n > show {
		problems = append(problems[:show], fmt.Sprintf("and %d more", n-show))
	}
	return fmt.Errorf("%w: %d problems: %s", ErrLostMetadata, n, strings.Join(problems, "; "))
}
