package workload

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// FuzzParse feeds arbitrary bytes to Parse as a YAML and as a JSON network
// file. Parse must return an error of one line or a network that validates;
// it must never panic nor allocate far beyond the input's size. The seeds
// are the test networks and every built-in network written out as YAML and
// as JSON.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/seed.yaml", "testdata/resblock.json"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, name := range Builtins() {
		n, err := Builtin(name)
		if err != nil {
			f.Fatal(err)
		}
		y, err := yaml.Marshal(n)
		if err != nil {
			f.Fatal(err)
		}
		j, err := json.Marshal(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(y)
		f.Add(j)
	}
	f.Add([]byte("a: &a [x]\nb: !!str *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang fails too: the panic kills the fuzzing process, and the
		// fuzzer keeps the input that hung it.
		defer time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("Parse hangs on %q", data)) }).Stop()
		for _, name := range []string{"net.yaml", "net.json"} {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n, err := Parse(name, data)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20+uint64(1024*len(data)) {
				t.Fatalf("%s: allocated %d MiB for %d bytes", name, alloc>>20, len(data))
			}
			if err != nil {
				if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "decoder failed") || !strings.HasPrefix(msg, name+":") {
					t.Fatalf("%s: error %q is not one line starting with the file name, or go-yaml panicked", name, msg)
				}
				continue
			}
			if err := n.Validate(); err != nil {
				t.Fatalf("%s: Parse returned a network that does not validate: %v", name, err)
			}
		}
	})
}
