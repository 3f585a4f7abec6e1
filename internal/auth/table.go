package auth

import "time"

// entry is one key's failure record.
type entry[K comparable] struct {
	key      K
	failures int       // since the key was last forgotten
	last     time.Time // of the last failure
	until    time.Time // end of the back-off; zero before MaxFailures

	prev, next *entry[K] // the table's list, most recent failure first
}

// backingOff reports whether e's back-off still runs at now.
func (e *entry[K]) backingOff(now time.Time) bool { return now.Before(e.until) }

// forgotten reports whether e has been quiet for window at now: window
// after both its last failure and the end of its back-off.
func (e *entry[K]) forgotten(now time.Time, window time.Duration) bool {
	quiet := e.last
	if e.until.After(quiet) {
		quiet = e.until
	}
	return !now.Before(quiet.Add(window))
}

// table holds failure records by key, at most max of them, in a list
// ordered by last failure. It is not safe for concurrent use: the
// Limiter's mutex guards it.
//
// Invariants: m holds exactly the entries of the list; len(m) <= max;
// the list is ordered by last failure, most recent first (the clock is
// monotonic, and fail moves an entry to the front).
type table[K comparable] struct {
	m    map[K]*entry[K]
	root entry[K] // sentinel: root.next is the most recent, root.prev the oldest
	max  int
}

// init makes t empty with room for n keys. A table points into itself:
// it must not be copied after init.
func (t *table[K]) init(n int) {
	t.m = make(map[K]*entry[K])
	t.root.next, t.root.prev = &t.root, &t.root
	t.max = n
}

// get returns k's entry, or nil if it has none or it was forgotten (then
// it is dropped).
func (t *table[K]) get(k K, now time.Time, window time.Duration) *entry[K] {
	e := t.m[k]
	if e != nil && e.forgotten(now, window) {
		t.remove(e)
		return nil
	}
	return e
}

// wait returns how long k's back-off still runs at now.
func (t *table[K]) wait(k K, now time.Time, window time.Duration) time.Duration {
	if e := t.get(k, now, window); e != nil && e.backingOff(now) {
		return e.until.Sub(now)
	}
	return 0
}

// fail counts a failure of k at now, starts or doubles its back-off, and
// returns its entry.
func (t *table[K]) fail(k K, now time.Time, cfg *LimiterConfig) *entry[K] {
	e := t.get(k, now, cfg.Window)
	if e == nil {
		e = t.insert(k, now)
	} else {
		t.unlink(e)
	}
	t.pushFront(e)
	e.failures++
	e.last = now
	if over := e.failures - cfg.MaxFailures; over >= 0 {
		e.until = now.Add(backoff(over, cfg.BaseDelay, cfg.MaxDelay))
	}
	return e
}

// backoff returns base doubled n times, at most limit.
func backoff(n int, base, limit time.Duration) time.Duration {
	d := base
	for ; n > 0 && d < limit; n-- {
		d *= 2
	}
	return min(d, limit)
}

// insert returns a new, unlinked entry for k, evicting one if the table
// is full.
func (t *table[K]) insert(k K, now time.Time) *entry[K] {
	var e *entry[K]
	if len(t.m) >= t.max {
		e = t.victim(now)
		t.remove(e)
		*e = entry[K]{} // reused: a flood of new keys does not allocate
	} else {
		e = new(entry[K])
	}
	e.key = k
	t.m[k] = e
	return e
}

// victim picks the entry to evict: the oldest of the evictScan oldest
// that is not backing off, else the oldest. The table is not empty.
func (t *table[K]) victim(now time.Time) *entry[K] {
	e := t.root.prev
	for i := 0; i < evictScan && e != &t.root; i, e = i+1, e.prev {
		if !e.backingOff(now) {
			return e
		}
	}
	return t.root.prev
}

// forget drops k's entry, if any.
func (t *table[K]) forget(k K) {
	if e := t.m[k]; e != nil {
		t.remove(e)
	}
}

func (t *table[K]) remove(e *entry[K]) {
	t.unlink(e)
	delete(t.m, e.key)
}

func (t *table[K]) unlink(e *entry[K]) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (t *table[K]) pushFront(e *entry[K]) {
	e.prev, e.next = &t.root, t.root.next
	t.root.next.prev = e
	t.root.next = e
}
