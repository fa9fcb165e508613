package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
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
