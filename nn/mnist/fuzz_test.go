package mnist

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadIdx feeds arbitrary bytes to ReadImages and ReadLabels, plain and,
// when the bytes are a gzip stream, decompressed as withFile does. Each must
// return an error or a set consistent with its header and the bytes read;
// none may panic or allocate more than the data present allows. The seeds
// are the heads of the real MNIST test files (their counts cut to two
// samples) and small hand-made files.
func FuzzReadIdx(f *testing.F) {
	if dir, err := ModuleDataDir(); err == nil {
		for _, base := range []string{TestImages, TestLabels} {
			if head, err := idxHead(filepath.Join(dir, base+".gz"), 2); err == nil {
				f.Add(head)
				f.Add(gzipped(head))
			}
		}
	}
	var img bytes.Buffer
	binary.Write(&img, binary.BigEndian, []uint32{imagesMagic, 2, 2, 2})
	img.Write([]byte{0, 64, 128, 255, 1, 2, 3, 4})
	f.Add(img.Bytes())
	f.Add(gzipped(img.Bytes()))
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9})
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 16, 0, 0, 0, 16, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(r io.Reader, plain bool) {
			if pixels, n, rows, cols, err := ReadImages("fuzz", r); err == nil {
				if len(pixels) != n*rows*cols || rows < 1 || cols < 1 || n > MaxSamples || len(pixels) > MaxPixels {
					t.Fatalf("%d pixels for %d images of %dx%d", len(pixels), n, rows, cols)
				}
				if plain && len(data) != 16+len(pixels) {
					t.Fatalf("%d pixels read from %d bytes", len(pixels), len(data))
				}
				for _, p := range pixels {
					if !(p >= 0 && p <= 1) {
						t.Fatalf("pixel %v outside [0, 1]", p)
					}
				}
			}
		}
		checkLabels := func(r io.Reader, plain bool) {
			if labels, err := ReadLabels("fuzz", r); err == nil {
				if plain && len(data) != 8+len(labels) {
					t.Fatalf("%d labels read from %d bytes", len(labels), len(data))
				}
				for _, l := range labels {
					if l < 0 || l > 9 {
						t.Fatalf("label %d", l)
					}
				}
			}
		}
		check(bytes.NewReader(data), true)
		checkLabels(bytes.NewReader(data), true)
		if gz, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			check(gz, false)
		}
		if gz, err := gzip.NewReader(bytes.NewReader(data)); err == nil {
			checkLabels(gz, false)
		}
	})
}

// idxHead returns the header of the gzipped idx file at path, its count cut
// to n, followed by the first n samples.
func idxHead(path string, n uint32) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	gz, err := gzip.NewReader(file)
	if err != nil {
		return nil, err
	}
	var hdr [4]uint32
	if err := binary.Read(gz, binary.BigEndian, hdr[:2]); err != nil {
		return nil, err
	}
	size, dims := int64(1), 1
	if hdr[0] == imagesMagic {
		if err := binary.Read(gz, binary.BigEndian, hdr[2:]); err != nil {
			return nil, err
		}
		size, dims = int64(hdr[2])*int64(hdr[3]), 3
	}
	hdr[1] = n
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, hdr[:dims+1])
	if _, err := io.CopyN(&b, gz, int64(n)*size); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func gzipped(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}
