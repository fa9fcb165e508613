// Package atomicfile writes output files and folders through temporaries
// named so that they can be recognised: ".benchrun-<name>-<random>.tmp"
// beside the output called name. A process killed mid-write (SIGKILL, power
// loss) cannot remove its temporary, so the next write of the same output
// removes what earlier writes of it left behind.
//
// github.com/google/renameio does the same write but names its temporaries
// after the output with only a random suffix, in TMPDIR when it can, which
// leaves nothing to recognise a killed run's leftovers by.
package atomicfile

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const prefix, suffix = ".benchrun-", ".tmp"

// Pattern is the os.MkdirTemp pattern of the temporaries of the output
// whose base name is name.
func Pattern(name string) string { return prefix + name + "-*" + suffix }

// RemoveStale removes the temporaries that earlier writes of the output at
// path left in its folder, files and folders alike. Two processes writing
// one output at once is not supported: the later one may remove the
// other's temporary, which then fails rather than writes.
func RemoveStale(path string) {
	dir, name := filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // the write that follows reports it
	}
	for _, e := range entries {
		if isTemp(e.Name(), name) {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// isTemp reports whether file is a temporary of the output called name:
// the prefix, the name, a dash, a random part without separators, the suffix.
func isTemp(file, name string) bool {
	rest, ok := strings.CutPrefix(file, prefix+name+"-")
	if !ok {
		return false
	}
	random, ok := strings.CutSuffix(rest, suffix)
	return ok && random != "" && !strings.ContainsAny(random, `/\-`)
}

// WriteFile writes data to path atomically: into a temporary beside it,
// synced, then renamed over path, so a reader sees the old file or the new
// one and never a part. A new file gets mode perm less the umask, as with
// os.WriteFile; an existing one keeps its mode. The temporary is removed on
// every error, and stale ones of the same output first (RemoveStale).
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	RemoveStale(path)
	keep := fs.FileMode(0)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		keep = st.Mode().Perm()
	}
	dir, name := filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	f, err := create(dir, name, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if keep != 0 {
		if err := f.Chmod(keep); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// create makes a new temporary for the output called name in dir with mode
// perm (the umask applies, unlike os.CreateTemp's fixed 0600).
func create(dir, name string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		p := filepath.Join(dir, prefix+name+"-"+strconv.FormatUint(rand.Uint64(), 36)+suffix)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "create temporary", Path: filepath.Join(dir, Pattern(name)), Err: fs.ErrExist}
}
