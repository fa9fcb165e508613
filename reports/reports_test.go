package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata/")
	out    = flag.String("out", "", "also write the example report into this folder (to look at it)")
)

// example loads the fixture report.
func example(t testing.TB) Input {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in Input
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("testdata/example.json: %v", err)
	}
	return in
}

// writeReport writes in into a fresh folder and returns it.
func writeReport(t *testing.T, in Input) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "report")
	if err := Write(dir, in); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %q\nwant: %q\n(go test ./reports -update rewrites it if the change is intended)", name, i+1, g, w)
			}
		}
	}
}

func TestExampleGolden(t *testing.T) {
	in := example(t)
	dir := writeReport(t, in)
	for _, name := range []string{"summary.md", "index.html"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "example."+name, b)
	}
	if *out != "" {
		if err := Write(*out, in); err != nil {
			t.Fatal(err)
		}
	}
}

// inkFraction is the share of pixels that differ clearly from the colour of
// the top-left pixel (the background).
func inkFraction(img image.Image) float64 {
	b := img.Bounds()
	br, bg, bb, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	diff := func(a, b uint32) uint32 {
		if a > b {
			return a - b
		}
		return b - a
	}
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if diff(r, br)+diff(g, bg)+diff(bl, bb) > 3*0x1000 {
				ink++
			}
		}
	}
	return float64(ink) / float64(b.Dx()*b.Dy())
}
