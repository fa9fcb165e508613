package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// writeIdx writes a small idx3 images file and idx1 labels file that the test
// makes itself: 3 images of 2×3 pixels.
func writeIdx(t *testing.T, dir string, gz bool) {
	t.Helper()
	var img, lab bytes.Buffer
	binary.Write(&img, binary.BigEndian, []uint32{imagesMagic, 3, 2, 3})
	for i := 0; i < 18; i++ {
		img.WriteByte(byte(i * 15))
	}
	binary.Write(&lab, binary.BigEndian, []uint32{labelsMagic, 3})
	lab.Write([]byte{7, 0, 9})
	write := func(name string, b []byte) {
		if gz {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(b)
			w.Close()
			b, name = z.Bytes(), name+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(TrainImages, img.Bytes())
	write(TrainLabels, lab.Bytes())
}

func TestLoadSetPlainAndGzip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeIdx(t, dir, gz)
		s, err := LoadSet(dir, TrainImages, TrainLabels)
		if err != nil {
			t.Fatal(err)
		}
		if s.N != 3 || s.Rows != 2 || s.Cols != 3 {
			t.Fatalf("shape %d×%d×%d", s.N, s.Rows, s.Cols)
		}
		if got := s.Image(1)[0]; got != float32(6*15)/255 {
			t.Errorf("image 1 pixel 0 = %v, want %v", got, float32(90)/255)
		}
		if s.Labels[2] != 9 {
			t.Errorf("label 2 = %d", s.Labels[2])
		}
		if sub := s.Slice(1, 3); sub.N != 2 || sub.Labels[0] != 0 || sub.Image(0)[0] != s.Image(1)[0] {
			t.Errorf("Slice(1,3) = %+v", sub)
		}
	}
}

func TestErrorsNameFileAndPlace(t *testing.T) {
	dir := t.TempDir()
	writeIdx(t, dir, false)
	// Truncate the images: the header promises more pixels than follow.
	path := filepath.Join(dir, TrainImages)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-4], 0o644)
	_, err := LoadSet(dir, TrainImages, TrainLabels)
	if err == nil || !strings.Contains(err.Error(), TrainImages) || !strings.Contains(err.Error(), "ends after") {
		t.Errorf("truncated file: error %v", err)
	}
	// A labels file whose magic number is wrong.
	os.WriteFile(path, b, 0o644)
	lab := filepath.Join(dir, TrainLabels)
	lb, _ := os.ReadFile(lab)
	lb[3] = 3
	os.WriteFile(lab, lb, 0o644)
	if _, err := LoadSet(dir, TrainImages, TrainLabels); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("bad magic: error %v", err)
	}
	if _, err := LoadSet(t.TempDir(), TrainImages, TrainLabels); err == nil {
		t.Error("missing files: no error")
	}
}

// TestRealMNIST reads the real test set from the GoMNIST module (skipped if
// the module cache cannot be found, e.g. offline without it).
func TestRealMNIST(t *testing.T) {
	dir, err := ModuleDataDir()
	if err != nil {
		t.Skip(err)
	}
	s, err := LoadSet(dir, TestImages, TestLabels)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 10000 || s.Rows != 28 || s.Cols != 28 {
		t.Fatalf("test set %d×%d×%d, want 10000×28×28", s.N, s.Rows, s.Cols)
	}
	var counts [10]int
	for _, l := range s.Labels {
		counts[l]++
	}
	for d, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("digit %d appears %d times in 10,000", d, c)
		}
	}
}

// TestForgedHeaders feeds idx files whose headers claim far more data than
// they hold, or more than the limits allow, plain and gzipped, and checks
// that each gives an error naming the file and the field, quickly and
// without allocating what the header claims. Before the fix a header of
// 2^24 images of 4096x4096 pixels passed the checks and the reader
// allocated all of it up front: a fatal out-of-memory.
func TestForgedHeaders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   string
		header []uint32
		tail   []byte
		want   string
	}{
		{"images at every limit", TrainImages, []uint32{imagesMagic, MaxSamples, MaxSide, MaxSide}, nil, "more than the"},
		{"images within limits, no pixels", TrainImages, []uint32{imagesMagic, MaxPixels / 784, 28, 28}, []byte{1, 2, 3}, "ends after 3 bytes"},
		{"too many images", TrainImages, []uint32{imagesMagic, 1<<32 - 1, 28, 28}, nil, "image count (bytes 4-7) is 4294967295"},
		{"too many rows", TrainImages, []uint32{imagesMagic, 1, 1 << 31, 28}, nil, "rows (bytes 8-11)"},
		{"zero columns", TrainImages, []uint32{imagesMagic, 1, 28, 0}, nil, "columns (bytes 12-15) is 0"},
		{"count too small", TrainImages, []uint32{imagesMagic, 1, 1, 1}, []byte{1, 2}, "more bytes follow"},
		{"labels within limits, none present", TrainLabels, []uint32{labelsMagic, MaxSamples}, []byte{1}, "ends after 1 bytes"},
		{"too many labels", TrainLabels, []uint32{labelsMagic, MaxSamples + 1}, nil, "label count (bytes 4-7)"},
	} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gz=%v", tc.name, gz), func(t *testing.T) {
				var b bytes.Buffer
				binary.Write(&b, binary.BigEndian, tc.header)
				b.Write(tc.tail)
				data, path := b.Bytes(), filepath.Join(t.TempDir(), tc.base)
				if gz {
					var z bytes.Buffer
					w := gzip.NewWriter(&z)
					w.Write(data)
					w.Close()
					data, path = z.Bytes(), path+".gz"
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				var err error
				alloc := allocated(func() {
					err = withFile(filepath.Dir(path), tc.base, func(name string, r io.Reader) error {
						if tc.base == TrainImages {
							_, _, _, _, err := ReadImages(name, r)
							return err
						}
						_, err := ReadLabels(name, r)
						return err
					})
				})
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want one naming %s and containing %q", err, path, tc.want)
				}
				if alloc > 1<<20 {
					t.Errorf("allocated %d bytes to refuse a %d-byte file", alloc, len(data))
				}
			})
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
