package partition

import (
	"container/list"
	"fmt"
	"sync"

	"github.com/shoal-io/shoal/internal/vfs"
)

// DefaultOpenSealedFiles is the size of the FileCache partitions share
// when Config.FileCache is nil.
const DefaultOpenSealedFiles = 128

// defaultFileCache is the process-wide cache for partitions whose Config
// names none.
var defaultFileCache = sync.OnceValue(func() *FileCache { return NewFileCache(DefaultOpenSealedFiles) })

// FileCache keeps a bounded number of sealed segment files open, shared by
// every partition that names it in its Config, so that file descriptors
// grow with the partitions being read, not with the segments on disk
// (issue #15 item 9). A sealed segment's log is opened when a read needs
// it and closed when the cache is over its limit and the file is the
// least recently used one not being read. Active segments are not
// counted: each partition keeps its own open.
//
// A FileCache is safe for concurrent use by partitions on different
// shards; each segment's file is used only by its partition's owner (S5).
type FileCache struct {
	limit int

	mu  sync.Mutex // guards the following fields and every cachedFile's
	lru list.List  // of *cachedFile with an open file; front = most recently used
	// open counts the files in lru and those being opened. Invariant:
	// open <= limit, unless more files than limit are pinned at once.
	open int
}

// NewFileCache returns a cache that keeps at most limit sealed segment
// files open while none is being read (limit < 1 means 1).
func NewFileCache(limit int) *FileCache {
	c := &FileCache{limit: max(limit, 1)}
	c.lru.Init()
	return c
}

// Open returns how many files the cache holds open.
func (c *FileCache) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// cachedFile is one sealed segment's log as the cache sees it. Its fields
// below name are guarded by the cache's mu.
type cachedFile struct {
	fs   vfs.FS
	name string

	f    vfs.File      // nil while closed
	elem *list.Element // in lru while f != nil
	pins int           // reads in progress; a pinned file is never closed
}

// acquire returns cf's file, opening it if needed, pinned until release.
// Before it opens a file it closes least recently used ones until the new
// one fits the limit, so the cache never adds to a descriptor shortage.
func (c *FileCache) acquire(cf *cachedFile) (vfs.File, error) {
	c.mu.Lock()
	if cf.f != nil {
		cf.pins++
		c.lru.MoveToFront(cf.elem)
		f := cf.f
		c.mu.Unlock()
		return f, nil
	}
	victims := c.evictLocked(c.limit - 1)
	c.open++ // reserved for cf
	c.mu.Unlock()
	closeAll(victims)
	// Only the segment's owner acquires it, so nobody opens it meanwhile.
	f, err := cf.fs.Open(cf.name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.open--
		return nil, fmt.Errorf("partition: open %s: %w", cf.name, err)
	}
	cf.f, cf.pins = f, 1
	cf.elem = c.lru.PushFront(cf)
	return f, nil
}

// release unpins cf's file, closing least recently used files while the
// cache is over its limit.
func (c *FileCache) release(cf *cachedFile) {
	c.mu.Lock()
	if cf.pins <= 0 {
		c.mu.Unlock()
		panic(fmt.Sprintf("partition: release of %s, which is not acquired", cf.name))
	}
	cf.pins--
	victims := c.evictLocked(c.limit)
	c.mu.Unlock()
	closeAll(victims)
}

// drop closes cf's file if it is open: its segment is being closed or
// removed. The segment's owner calls it, so cf is not pinned.
func (c *FileCache) drop(cf *cachedFile) error {
	c.mu.Lock()
	f := cf.f
	if f != nil {
		if cf.pins > 0 {
			c.mu.Unlock()
			panic(fmt.Sprintf("partition: drop of %s while it is read", cf.name))
		}
		c.removeLocked(cf)
	}
	c.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.Close()
}

// evictLocked takes the least recently used unpinned files out of the
// cache while it holds more than keep and returns them for closing.
// c.mu must be held.
func (c *FileCache) evictLocked(keep int) []vfs.File {
	var victims []vfs.File
	for e := c.lru.Back(); e != nil && c.open > keep; {
		cf := e.Value.(*cachedFile)
		e = e.Prev()
		if cf.pins == 0 {
			victims = append(victims, cf.f)
			c.removeLocked(cf)
		}
	}
	return victims
}

// removeLocked takes cf's file out of the cache. c.mu must be held.
func (c *FileCache) removeLocked(cf *cachedFile) {
	c.lru.Remove(cf.elem)
	cf.f, cf.elem = nil, nil
	c.open--
}

// closeAll closes evicted files. A read-only file's Close error says
// nothing about data, so it is dropped.
func closeAll(fs []vfs.File) {
	for _, f := range fs {
		f.Close()
	}
}
