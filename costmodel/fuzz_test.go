package costmodel

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzParseCatalog feeds arbitrary bytes to ParseCatalog. It must return an
// error of one line naming the file or a catalog that validates; it must
// never panic nor allocate far beyond the input's size. The seeds are the
// embedded catalog, its options one by one, and the test option.
func FuzzParseCatalog(f *testing.F) {
	f.Add(embeddedCatalog)
	f.Add([]byte(goodOption))
	for _, opt := range strings.Split(string(embeddedCatalog), "\n  - id: ")[1:] {
		f.Add([]byte("options:\n  - id: " + opt))
	}
	f.Add([]byte(`{"options": [{"id": "j", "name": "J", "kind": "gpu"}]}`))
	f.Add([]byte("a: &a [x]\noptions: !!str *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang fails too: the panic kills the fuzzing process, and the
		// fuzzer keeps the input that hung it.
		defer time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("ParseCatalog hangs on %q", data)) }).Stop()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := ParseCatalog("cat.yaml", data)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20+uint64(1024*len(data)) {
			t.Fatalf("allocated %d MiB for %d bytes", alloc>>20, len(data))
		}
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "decoder failed") || !strings.HasPrefix(msg, "cat.yaml") {
				t.Fatalf("error %q is not one line starting with the file name, or go-yaml panicked", msg)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseCatalog returned a catalog that does not validate: %v", err)
		}
	})
}
