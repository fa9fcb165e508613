package safeyaml

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

type layer struct {
	Name    string `yaml:"name"`
	Filters int    `yaml:"filters"`
}

type net struct {
	Name   string            `yaml:"name"`
	Rate   float64           `yaml:"rate"`
	Layers []layer           `yaml:"layers"`
	Tags   map[string]string `yaml:"tags"`
}

// billionLaughs is a YAML file of under 1 KB whose aliases expand to 10^9
// strings: nine levels of ten references each.
func billionLaughs(field string) string {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString(field + ": !!str *a9\n") // the tag made go-yaml print the whole expansion
	return b.String()
}

// allocated returns the bytes f allocates and how long it took.
func allocated(f func()) (uint64, time.Duration) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, d
}

// TestHostileInputsAreRefusedCheaply decodes files built to exhaust memory
// or time (alias bombs, deep nesting, binary data) and checks each is
// refused with a one-line error naming the file, within a small memory
// budget.
func TestHostileInputsAreRefusedCheaply(t *testing.T) {
	deep := strings.Repeat("[", 1<<19) + strings.Repeat("]", 1<<19)
	for _, tc := range []struct {
		name, data, want string
	}{
		{"billion laughs", billionLaughs("layers"), "bomb.yaml:1: anchors and aliases"},
		{"alias only", "name: x\nlayers: *nowhere\n", "bomb.yaml:2: anchors and aliases"},
		{"deep flow", deep, "nested more than 32 deep"},
		{"deep block lists", strings.Repeat("- ", 1<<18) + "x\n", "nested more than 32 deep"},
		{"deep block maps", func() string {
			var b strings.Builder
			for i := range 40 {
				b.WriteString(strings.Repeat(" ", i) + "k:\n")
			}
			return b.String()
		}(), "bomb.yaml:33: nested more than 32 deep"},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00", "bomb.yaml: not a YAML or JSON file (byte 0 is 0x7f"},
		{"invalid UTF-8", "name: \xff\xfe\n", "not a YAML or JSON file (byte 6 is 0xff"},
		{"too large", strings.Repeat("#", MaxFileSize+1), "larger than 1048576 bytes"},
		{"tag", "name: !!str [x]\n", "bomb.yaml:1: tags (!name, !!type) are not accepted"},
		// FuzzParseCatalog found this one: a tag on a mapping where a list
		// belongs made go-yaml dereference nil.
		{"tag crash", "layers:\n  !\n    0:00000000: 00000\n00000000000008000000: 000000", "bomb.yaml:2: tags"},
		{"two documents", "name: a\n---\nname: b\n", "bomb.yaml:3: a second YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n net
			var err error
			alloc, took := allocated(func() { _, err = Decode("bomb.yaml", []byte(tc.data), &n) })
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tc.want)
			}
			if limit := uint64(400 * len(tc.data)); alloc > max(limit, 1<<20) {
				t.Errorf("allocated %d MiB to refuse a %d-byte file", alloc>>20, len(tc.data))
			}
			if took > 10*time.Second {
				t.Errorf("took %v", took)
			}
		})
	}
}

// TestDecodeErrorsNameLineAndField checks the one-line errors of the strict
// decoder: file:line, the field's path, and the value in the file's terms.
func TestDecodeErrorsNameLineAndField(t *testing.T) {
	const good = "name: n\nrate: 0.5\nlayers:\n  - name: a\n    filters: 3\n  - {name: b, filters: 4}\ntags: {x: y}\n"
	var n net
	doc, err := Decode("net.yaml", []byte(good), &n)
	if err != nil || len(n.Layers) != 2 || n.Layers[1].Filters != 4 || n.Tags["x"] != "y" {
		t.Fatalf("good file: %+v, %v", n, err)
	}
	if l := doc.Line("layers[1].filters"); l != 6 {
		t.Errorf("Line(layers[1].filters) = %d, want 6", l)
	}
	if l := doc.Line("layers[0].missing.deeper"); l != 4 {
		t.Errorf("Line of an absent field = %d, want 4 (its layer's)", l)
	}
	for _, tc := range []struct{ old, new, want string }{
		{"filters: 3", "filters: many", `net.yaml:5: layers[0].filters: "many" is not an integer`},
		{"filters: 3", "filtres: 3", `net.yaml:5: layers[0].filtres: unknown field`},
		{"rate: 0.5", "rate: [1]", `net.yaml:2: rate:`},
		{"tags: {x: y}", "tags: {x: y, x: z}", `net.yaml:7: mapping key "x" already defined`},
		{"filters: 3", "filters: 99999999999999999999999", "net.yaml:5: layers[0].filters:"},
		{"  - {name: b", "  - {name: b,,", "net.yaml:6:"},
		// A key holding newlines (JSON allows them) is named with escapes.
		{"  - {name: b", "  - {\"\\n\\n\": 1, name: b", `net.yaml:6: layers[1].\n\n: unknown field`},
	} {
		data := strings.Replace(good, tc.old, tc.new, 1)
		var n net
		_, err := Decode("net.yaml", []byte(data), &n)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q → %q: error %q, want one line containing %q", tc.old, tc.new, err, tc.want)
		}
	}
	// JSON reads through the same decoder, with its lines.
	js := "{\n \"name\": \"j\",\n \"layers\": [\n  {\"name\": \"a\", \"filters\": \"x\"}\n ]\n}"
	if _, err := Decode("net.json", []byte(js), &n); err == nil || !strings.Contains(err.Error(), `net.json:4: layers[0].filters: "x" is not an integer`) {
		t.Errorf("JSON error %v", err)
	}
}

// TestReadFileLimit refuses a file one byte over MaxFileSize, reading no
// more than that byte past the limit, and reads one at the limit.
func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, 64*MaxFileSize), 0o644); err != nil {
		t.Fatal(err)
	}
	var err error
	if alloc, _ := allocated(func() { _, err = ReadFile(big) }); alloc > 4*MaxFileSize {
		t.Errorf("allocated %d MiB to refuse a %d MiB file", alloc>>20, 64)
	}
	if err == nil || err.Error() != big+": larger than 1048576 bytes" {
		t.Errorf("error %v", err)
	}
	ok := filepath.Join(dir, "ok.yaml")
	os.WriteFile(ok, []byte(strings.Repeat("#", MaxFileSize)), 0o644)
	if data, err := ReadFile(ok); err != nil || len(data) != MaxFileSize {
		t.Errorf("file at the limit: %d bytes, %v", len(data), err)
	}
}

type count int

type Inner struct {
	Depth count `yaml:"depth"`
}

type numbers struct {
	Inner  `yaml:",inline"`
	Units  int                 `yaml:"units"`
	Size   *uint32             `yaml:"size"`
	Scale  float64             `yaml:"scale"`
	Widths []int               `yaml:"widths"`
	Peaks  map[string]float64  `yaml:"peaks"`
	Nested map[string][]*Inner `yaml:"nested"`
	Free   any                 `yaml:"free"`
	Plain  string              `yaml:"plain"`
}

// TestNumbersAreCheckedAgainstTheirFields decodes numbers into integer and
// float fields reached every way a file can reach them (struct fields, named
// types, pointers, inline structs, lists, map values, merge keys) and checks
// that fractions in integer fields, non-finite values and quoted numbers are
// refused with the field's path and line, while integers spelled as floats
// and ordinary numbers decode.
func TestNumbersAreCheckedAgainstTheirFields(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"units: 12.5", `n.yaml:1: units: "12.5" is not an integer`},
		{"plain: x\nsize: 2.5", `n.yaml:2: size: "2.5" is not an integer`},
		{"depth: 0.5", `n.yaml:1: depth: "0.5" is not an integer`},
		{"widths: [1, 2, 3.25]", `n.yaml:1: widths[2]: "3.25" is not an integer`},
		{"nested:\n  a:\n    - depth: 1\n    - depth: 1.5\n", `n.yaml:4: nested.a[1].depth: "1.5" is not an integer`},
		{"<<: {units: 7.5}", `units: "7.5" is not an integer`},
		{"units: 25e-1", `units: "25e-1" is not an integer`},
		{"scale: .nan", `n.yaml:1: scale: ".nan" is not a finite number`},
		{"scale: -.inf", `scale: "-.inf" is not a finite number`},
		{"scale: .Inf", `scale: ".Inf" is not a finite number`},
		{"scale: nan", `scale: "nan" is not a finite number`},
		{"scale: infinity", `scale: "infinity" is not a finite number`},
		{"peaks: {bf16: .nan}", `peaks.bf16: ".nan" is not a finite number`},
		{`scale: "nan"`, `scale: "nan" is a string, not a finite number`},
		{`units: "3"`, `units: "3" is a string, not an integer`},
		{"scale: |\n  3\n", `n.yaml:1: scale: "|" is not a number`},
		{`{"units": "12"}`, `n.yaml:1: units: "12" is a string`},
	} {
		var n numbers
		_, err := Decode("n.yaml", []byte(tc.data), &n)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %q, want one line containing %q", tc.data, err, tc.want)
		}
	}
	const good = "units: 1e3\nsize: 4.0\ndepth: 2\nscale: 0.25\nwidths: [1, 2.0]\npeaks: {f32: 1e-3}\nfree: 2.5\nnested: {a: [{depth: 3}]}\n"
	var n numbers
	if _, err := Decode("n.yaml", []byte(good), &n); err != nil {
		t.Fatal(err)
	}
	if n.Units != 1000 || *n.Size != 4 || n.Depth != 2 || n.Scale != 0.25 || n.Widths[1] != 2 || n.Peaks["f32"] != 1e-3 || n.Nested["a"][0].Depth != 3 {
		t.Errorf("decoded %+v", n)
	}
}
