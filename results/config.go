package results

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	"github.com/trainbench/trainbench/machine"
)

// KeyValue is one configuration line, "key: value": the type a machine
// profile is written in (machine.KeyValue). Keys start with a lowercase
// letter and hold no spaces or uppercase letters (the Go benchmark format's
// rule); values are one line.
type KeyValue = machine.KeyValue

// Machine describes the machine a run measured as configuration lines:
// machine.Profile (the CPU facts, plus the measured ceilings once they were
// measured) or a fixed list of Lines.
type Machine interface {
	ConfigLines() []KeyValue
}

// Lines is a Machine given as a fixed list of configuration lines.
type Lines []KeyValue

// ConfigLines returns l.
func (l Lines) ConfigLines() []KeyValue { return l }

// The configuration keys a results file written by benchrun carries besides
// the machine's own lines (machine.Profile.ConfigLines: cpu, cpu-vendor,
// cpu-family, cpu-model, cores, logical-cpus, l1d, l2, l3, isa-features,
// isa-max and the ceilings). goos, goarch, pkg and cpu are the keys go test
// writes too.
const (
	KeyGOOS      = "goos"       // runtime.GOOS
	KeyGOARCH    = "goarch"     // runtime.GOARCH
	KeyPkg       = "pkg"        // the package of the case table
	KeyGoVersion = "go-version" // runtime.Version()
	KeyGOAMD64   = "goamd64"    // the GOAMD64 level the binary was built for (amd64 only)
	KeyGoTags    = "go-tags"    // build tags (noasm, cblas), when any
	KeyLabel     = "machine"    // the machine label (--label)
	KeyDate      = "date"       // when the run started, RFC 3339 UTC
)

// KeyVersion is trainbench's module version and commit (Env.Version).
const KeyVersion = "trainbench-version"

// Header is the file configuration of one run: where, when and with what it
// ran.
type Header struct {
	Machine Machine   // CPU facts and ceilings
	Label   string    // machine label (CheckLabel); "" leaves the key out
	Date    time.Time // start of the run
	Pkg     string    // package of the cases ("" leaves the key out)
}

// Config returns the header as configuration lines: goos, goarch, pkg, the
// machine's lines, go-version, goamd64, go-tags, trainbench-version, machine
// (the label) and date.
// Empty values are left out (an empty value would delete the key).
func (h Header) Config() []KeyValue {
	kv := []KeyValue{{Key: KeyGOOS, Value: runtime.GOOS}, {Key: KeyGOARCH, Value: runtime.GOARCH}, {Key: KeyPkg, Value: h.Pkg}}
	if h.Machine != nil {
		kv = append(kv, h.Machine.ConfigLines()...)
	}
	env := BuildEnv()
	kv = append(kv, KeyValue{Key: KeyGoVersion, Value: env.GoVersion}, KeyValue{Key: KeyGOAMD64, Value: env.GOAMD64}, KeyValue{Key: KeyGoTags, Value: env.Tags},
		KeyValue{Key: KeyVersion, Value: env.Version}, KeyValue{Key: KeyLabel, Value: h.Label})
	if !h.Date.IsZero() {
		kv = append(kv, KeyValue{Key: KeyDate, Value: h.Date.UTC().Format(time.RFC3339)})
	}
	out := kv[:0]
	for _, c := range kv {
		c.Value = oneLine(c.Value)
		if c.Value != "" {
			out = append(out, c)
		}
	}
	return out
}

// Env is the build and run environment of this binary.
type Env struct {
	GoVersion string // runtime.Version()
	GOOS      string
	GOARCH    string
	GOAMD64   string // "v1".."v4" on amd64, "" elsewhere
	Tags      string // build tags, comma-separated
	// Version is trainbench's module version and, when the binary was
	// built from a checkout, its commit: "v0.0.0-2026...-abcdef123456
	// (commit abcdef1, modified)". It ties a results file to the code that
	// measured it. "(devel)" when the build recorded neither (go run, go
	// test).
	Version string
}

// modulePath is trainbench's module path, to find its version in the build
// info of a binary that imports it.
const modulePath = "github.com/trainbench/trainbench"

// BuildEnv returns the environment this binary was built for.
func BuildEnv() Env {
	e := Env{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH}
	e.Version = "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		e.Version = version(bi)
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOAMD64":
				e.GOAMD64 = s.Value
			case "-tags":
				e.Tags = s.Value
			}
		}
	}
	if e.GOAMD64 == "" && runtime.GOARCH == "amd64" {
		e.GOAMD64 = os.Getenv("GOAMD64")
		if e.GOAMD64 == "" {
			e.GOAMD64 = "v1" // the toolchain's default
		}
	}
	return e
}

// version returns trainbench's version in the build info bi: the main
// module's version and its commit (the vcs settings describe the main
// module's checkout), or the version of the trainbench dependency of
// another main module.
func version(bi *debug.BuildInfo) string {
	if bi.Main.Path != modulePath {
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				return d.Version
			}
		}
		return "(devel)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if modified == "true" {
		return fmt.Sprintf("%s (commit %s, modified)", v, rev)
	}
	return fmt.Sprintf("%s (commit %s)", v, rev)
}

// ValidKey reports whether key may be a configuration key: it starts with a
// lowercase letter and holds no spaces, uppercase letters or colons.
func ValidKey(key string) bool {
	for i, r := range key {
		if (i == 0 && !unicode.IsLower(r)) || unicode.IsSpace(r) || unicode.IsUpper(r) || r == ':' {
			return false
		}
	}
	return key != ""
}

var labelRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// CheckLabel returns an error unless label is a usable machine label:
// lowercase letters, digits, '.', '_' and '-', starting with a letter or
// digit (it becomes part of file names and a benchstat column key).
func CheckLabel(label string) error {
	if !labelRE.MatchString(label) || len(label) > 64 {
		return fmt.Errorf("bad machine label %q: use up to 64 lowercase letters, digits, '.', '_' and '-'", label)
	}
	return nil
}

func oneLine(s string) string {
	return strings.TrimSpace(strings.Join(strings.Fields(s), " "))
}
