package partition

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"

	"github.com/shoal-io/shoal/internal/vfs"
)

// Dir is where partition p of topic t of stream s lives under the data
// directory: <dataDir>/streams/<s>/topics/<t>/partitions/<p>.
func Dir(dataDir string, s, t, p uint32) string {
	return path.Join(dataDir, "streams", strconv.FormatUint(uint64(s), 10), "topics",
		strconv.FormatUint(uint64(t), 10), "partitions", strconv.FormatUint(uint64(p), 10))
}

// StreamDir and TopicDir are the directories DeleteStream and DeleteTopic
// remove (with RemoveAll).
func StreamDir(dataDir string, s uint32) string {
	return path.Join(dataDir, "streams", strconv.FormatUint(uint64(s), 10))
}

func TopicDir(dataDir string, s, t uint32) string {
	return path.Join(StreamDir(dataDir, s), "topics", strconv.FormatUint(uint64(t), 10))
}

// Create opens a new, empty partition in dir, first removing anything a
// deleted partition with the same ids left there (stream, topic and
// partition ids are reused, and a crash may come between a committed
// delete and the removal of its files). Use it when a CreateTopic or
// CreatePartitions commits; use Open at boot.
//
// Create is atomic: if it fails, it removes dir (durably) before it
// returns the error, so the server can answer with a status and nothing
// is left; the parent directories MkdirAll made are kept, since other
// partitions of the topic may be created in them concurrently. If that
// removal fails too, both errors are returned.
func Create(fsys vfs.FS, dir string, id uint32, cfg Config) (*Partition, error) {
	err := RemoveAll(fsys, dir)
	if err == nil {
		var p *Partition
		if p, err = Open(fsys, dir, id, cfg); err == nil {
			return p, nil
		}
	}
	if rerr := RemoveAll(fsys, dir); rerr != nil {
		return nil, errors.Join(err, fmt.Errorf("partition: clean up after a failed create: %w", rerr))
	}
	return nil, err
}

// RemoveAll removes dir and everything below it, durably; a missing dir
// is not an error. Partitions under dir must be closed.
func RemoveAll(fsys vfs.FS, dir string) error {
	fi, err := fsys.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("partition: remove %s: %w", dir, err)
	}
	if err := removeTree(fsys, dir, fi.IsDir()); err != nil {
		return fmt.Errorf("partition: remove %s: %w", dir, err)
	}
	if err := fsys.SyncDir(path.Dir(dir)); err != nil {
		return fmt.Errorf("partition: remove %s: %w", dir, err)
	}
	return nil
}

func removeTree(fsys vfs.FS, name string, isDir bool) error {
	if isDir {
		names, err := fsys.List(name)
		if err != nil {
			return err
		}
		for _, n := range names {
			child := path.Join(name, n)
			fi, err := fsys.Stat(child)
			if err != nil {
				return err
			}
			if err := removeTree(fsys, child, fi.IsDir()); err != nil {
				return err
			}
		}
	}
	return fsys.Remove(name)
}
