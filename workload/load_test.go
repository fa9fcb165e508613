package workload

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestLoadYAMLMatchesBuiltin(t *testing.T) {
	n, err := Load("testdata/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(n, SeedCNN()) {
		t.Errorf("loaded %+v\nwant %+v", n, SeedCNN())
	}
}

// TestLoadJSONResidual loads a small residual network and checks its
// parameters by hand: stem 3·3·3·8 = 216 (no bias), two batch norms 2·8
// each, b1.conv 3·3·8·8 = 576, fc 8·4 + 4 = 36: 216+16+576+16+36 = 860.
func TestLoadJSONResidual(t *testing.T) {
	n, err := Load("testdata/resblock.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := n.Params()
	if err != nil || p != 860 {
		t.Fatalf("params %d (%v), want 860", p, err)
	}
	rs, _ := n.Resolve(16)
	if add := rs[5]; !reflect.DeepEqual(add.Inputs, []int{4, 2}) || add.Eltwise == nil || add.Eltwise.Elems != 16*8*8*8 {
		t.Errorf("b1.add resolved to inputs %v, shape %+v", add.Inputs, add.Eltwise)
	}
}

// TestLoadErrorsNameFileFieldAndLine breaks one field at a time and checks
// that the error names the file, the field and its line.
func TestLoadErrorsNameFileFieldAndLine(t *testing.T) {
	yaml := `name: bad
input: {h: 28, w: 28, c: 1}
classes: 10
batch: 32
samples: 60000
optimizer: {name: adam, lr: 0.001}
layers:
  - name: conv1
    kind: conv2d
    filters: 0
    kernel: 3
  - {name: loss, kind: softmax-ce}
`
	for _, c := range []struct {
		name, file, old, new string
		want                 []string
	}{
		{"zero filters", "bad.yaml", "", "", []string{"bad.yaml:10:", "layers[0].filters", "must be ≥ 1"}},
		{"unknown field", "bad.yaml", "    kernel: 3", "    kernal: 3", []string{"bad.yaml:11: layers[0].kernal: unknown field"}},
		{"wrong type", "bad.yaml", "filters: 0", "filters: many", []string{`bad.yaml:10: layers[0].filters: "many" is not an integer`}},
		{"bad optimizer", "bad.yaml", "name: adam", "name: lion", []string{"bad.yaml:6:", "optimizer.name", "lion"}},
		{"bad schedule", "bad.yaml", "lr: 0.001}", "lr: 0.001, schedule: {kind: cosine, min_lr: 0.1}}", []string{"bad.yaml:6:", "optimizer.schedule.min_lr", "0.1"}},
		{"schedule field typo", "bad.yaml", "lr: 0.001}", "lr: 0.001, schedule: {kind: cosine, warmup: 1}}", []string{"bad.yaml:6:", "schedule.warmup", "unknown field"}},
		{"bad batch", "bad.yaml", "batch: 32", "batch: 0", []string{"bad.yaml:4:", "batch"}},
		{"unknown kind", "bad.yaml", "kind: conv2d", "kind: conv3d", []string{"bad.yaml:9:", "layers[0].kind", "conv3d"}},
		{"extension", "bad.toml", "", "", []string{"bad.toml", "extension"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := yaml
			if c.old != "" {
				data = strings.Replace(yaml, c.old, c.new, 1)
			}
			_, err := Parse(c.file, []byte(data))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadJSONErrorLine(t *testing.T) {
	data := `{
  "name": "j", "input": {"h": 4, "w": 4, "c": 1}, "classes": 2, "batch": 2, "samples": 10,
  "optimizer": {"name": "sgd", "lr": 0.1},
  "layers": [
    {"name": "fc", "kind": "dense", "units": -3},
    {"name": "loss", "kind": "softmax-ce"}
  ]
}`
	_, err := Parse("net.json", []byte(data))
	if err == nil || !strings.Contains(err.Error(), "net.json:5:") || !strings.Contains(err.Error(), "layers[0].units") {
		t.Fatalf("error %v does not name net.json:5 and layers[0].units", err)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Builtins() {
		n, err := Lookup(name)
		if err != nil || n.Name != name {
			t.Errorf("Lookup(%q) = %s, %v", name, n.Name, err)
		}
		if err := n.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Lookup("no-such-net"); err == nil || !strings.Contains(err.Error(), "seed-cnn") {
		t.Errorf("error %v does not list the built-ins", err)
	}
	if n, err := Lookup("testdata/seed.yaml"); err != nil || n.Name != "seed-cnn" {
		t.Errorf("Lookup of a file: %v", err)
	}
}

// billionLaughs is a network file of under 1 KB whose aliases expand to 10^9
// strings: nine levels of ten references each.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("name: lol\ninput: {h: 1, w: 1, c: 1}\nclasses: 2\nbatch: 1\nsamples: 1\noptimizer: {name: sgd, lr: 0.1}\n")
	b.WriteString("x0: &x0 [lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "x%d: &x%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*x%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("layers: !!str *x9\n") // the tag made go-yaml print the whole expansion
	return b.String()
}

// TestLoadRefusesAliasBombs loads a billion-laughs network file and checks it
// is refused quickly with a one-line error and bounded memory. Before the
// fix the decoder expanded the aliases: tens of GB.
func TestLoadRefusesAliasBombs(t *testing.T) {
	bomb := billionLaughs()
	if len(bomb) >= 1024 {
		t.Fatalf("the bomb is %d bytes, want under 1 KB", len(bomb))
	}
	path := filepath.Join(t.TempDir(), "lol.yaml")
	if err := os.WriteFile(path, []byte(bomb), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Load(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), path+":7: anchors and aliases") {
		t.Errorf("error %v, want one naming %s:7 and the anchor", err, path)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB to refuse a %d-byte file", alloc>>20, len(bomb))
	}
}

// TestLoadRefusesLargeFiles refuses a network file over 1 MiB, naming it.
func TestLoadRefusesLargeFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	data := []byte("name: big\n" + strings.Repeat("# padding\n", 110_000))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || err.Error() != path+": larger than 1048576 bytes" {
		t.Errorf("error %v, want %s: larger than 1048576 bytes", err, path)
	}
}

// TestLoadRefusesBinary checks that a binary file's bytes are not echoed.
func TestLoadRefusesBinary(t *testing.T) {
	_, err := Parse("net.yaml", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xed\xc1\x01\x0d"))
	if err == nil || err.Error() != "net.yaml: not a YAML or JSON file (byte 0 is 0x1f, not text)" {
		t.Errorf("error %q", err)
	}
}
