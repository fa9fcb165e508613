package reports

import (
	"bytes"
	"image/png"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
)

// readAll returns every file of a report folder by name.
func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// checkImages decodes every PNG in the folder and checks its size and that
// it is not blank.
func checkImages(t *testing.T, files map[string][]byte) {
	t.Helper()
	n := 0
	for name, b := range files {
		if !strings.HasSuffix(name, ".png") {
			continue
		}
		n++
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w != int(width/vg.Inch*dpi) {
			t.Errorf("%s is %d px wide, want %d", name, w, int(width/vg.Inch*dpi))
		}
		if h < 250 || h > 2000 {
			t.Errorf("%s is %d px tall, want 250-2000", name, h)
		}
		if f := inkFraction(img); f < 0.005 {
			t.Errorf("%s is blank: %.2f%% of its pixels are not background", name, 100*f)
		}
	}
	if n == 0 {
		t.Error("no PNG in the report")
	}
}

var (
	htmlRef  = regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	htmlID   = regexp.MustCompile(`id="([^"]*)"`)
	mdLink   = regexp.MustCompile(`\]\(([^)\s]*)\)`)
	imgInMD  = regexp.MustCompile(`!\[[^\]]*\]\(([^)]*)\)`)
	imgInHTM = regexp.MustCompile(`<img src="([^"]*)"`)
)

// checkLinks checks that every local link of the page and the summary names
// a file of the folder or an anchor of the page, that every external link is
// an absolute http(s) URL, and that every plot is shown by both.
func checkLinks(t *testing.T, files map[string][]byte) {
	t.Helper()
	page := string(files["index.html"])
	md := string(files["summary.md"])
	ids := map[string]bool{}
	for _, m := range htmlID.FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("index.html: id %q used twice", m[1])
		}
		ids[m[1]] = true
	}
	check := func(doc, ref string) {
		ref = strings.ReplaceAll(ref, "&amp;", "&")
		switch {
		case strings.HasPrefix(ref, "#"):
			if doc != "index.html" || !ids[ref[1:]] {
				t.Errorf("%s: link %q has no target", doc, ref)
			}
		case strings.Contains(ref, "://"):
			u, err := url.Parse(ref)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("%s: external link %q is not an absolute http(s) URL", doc, ref)
			}
		default:
			if _, ok := files[ref]; !ok {
				t.Errorf("%s: link %q names no file of the report", doc, ref)
			}
		}
	}
	for _, m := range htmlRef.FindAllStringSubmatch(page, -1) {
		check("index.html", m[1])
	}
	for _, m := range mdLink.FindAllStringSubmatch(md, -1) {
		check("summary.md", m[1])
	}
	shown := map[string]int{}
	for _, m := range imgInHTM.FindAllStringSubmatch(page, -1) {
		shown[m[1]]++
	}
	for _, m := range imgInMD.FindAllStringSubmatch(md, -1) {
		shown[m[1]] += 10
	}
	for name := range files {
		if strings.HasSuffix(name, ".png") && shown[name] != 11 {
			t.Errorf("%s is shown %d times in index.html and %d in summary.md, want once each", name, shown[name]%10, shown[name]/10)
		}
	}
}

func TestExampleImagesAndLinks(t *testing.T) {
	in := example(t)
	dir := writeReport(t, in)
	files := readAll(t, dir)
	want, err := Files(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("report has %d files, want %d (%v)", len(files), len(want), want)
	}
	for _, name := range want {
		if _, ok := files[name]; !ok {
			t.Errorf("Files lists %s, which Write did not write", name)
		}
	}
	// 5 plots per workload and 3 for the kernels.
	if n := len(want) - 2; n != 5*len(in.Workloads)+3 {
		t.Errorf("%d plots, want %d", n, 5*len(in.Workloads)+3)
	}
	checkImages(t, files)
	checkLinks(t, files)
}

func TestDeterministic(t *testing.T) {
	in := example(t)
	a := readAll(t, writeReport(t, in))
	b := readAll(t, writeReport(t, in))
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two writes of the same input", name)
		}
	}
}

// TestPartialInputs writes reports from inputs missing one thing or
// another: each must be complete, with valid non-blank images, and say what
// is missing.
func TestPartialInputs(t *testing.T) {
	full := example(t)
	one := full
	one.Workloads = []Workload{{Name: "solo", Options: full.Workloads[0].Options[:1]}}
	noMeasured := full
	noMeasured.Machine = nil
	noMeasured.Kernels = nil
	noMeasured.Ceilings = Ceilings{}
	var cat []Option
	for _, o := range full.Workloads[0].Options {
		if o.Kind == Catalogued {
			cat = append(cat, o)
		}
	}
	noMeasured.Workloads = []Workload{{Name: "resnet50", Options: cat}}
	unpriced := Input{Workloads: []Workload{
		{Name: "custom-net"}, // no catalog entry, nothing measured
		{Name: "timed only", Options: []Option{{Name: "box", Kind: Measured, Seconds: Point(12)}}},
	}}
	kernelsOnly := Input{Kernels: full.Kernels[:3]} // one thread count, no ceilings
	cases := []struct {
		name string
		in   Input
		says []string
	}{
		{"empty", Input{}, []string{"No workload was priced", "No kernel results", "No machine was measured"}},
		{"one option", one, []string{"No buy-versus-rent series", "No scale-out estimate", "No trend for the CPU class: 1 priced option"}},
		{"no measured machine", noMeasured, []string{"No option was measured for this workload", "No machine was measured", "No ceilings were measured"}},
		{"no catalog entry", unpriced, []string{"No hardware option was priced for this workload", "1 of 1 options have no price", "no option has a price"}},
		{"kernels only", kernelsOnly, []string{"No workload was priced", "no rows"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeReport(t, c.in)
			files := readAll(t, dir)
			checkImages(t, files)
			checkLinks(t, files)
			text := string(files["index.html"]) + string(files["summary.md"])
			for _, s := range c.says {
				if !strings.Contains(text, s) {
					t.Errorf("the report does not say %q", s)
				}
			}
		})
	}
}

// TestNoDataPanelSaysWhy checks the text of an empty plot, which is drawn into
// the image: the no-data panel must differ from another no-data panel with a
// different reason (so the reason is really drawn) and not be blank.
func TestNoDataPanelSaysWhy(t *testing.T) {
	a, err := renderPNG(3*vg.Inch, noData("T", "first reason"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderPNG(3*vg.Inch, noData("T", "a different reason"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("no-data panels with different reasons are identical")
	}
	img, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if f := inkFraction(img); f < 0.005 {
		t.Errorf("no-data panel is blank (%.2f%% ink)", 100*f)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	good := func() Input {
		return Input{Workloads: []Workload{{Name: "w", Options: []Option{
			{Name: "a", Kind: Measured, Seconds: Range{1, 2, 3}, OnDemand: Point(1)},
		}}}}
	}
	cases := []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"NaN", func(in *Input) { in.Workloads[0].Options[0].Spot = Range{1, math.NaN(), 2} }, `option "a": spot.mid is NaN`},
		{"unordered", func(in *Input) { in.Workloads[0].Options[0].Seconds = Range{3, 2, 1} }, `option "a": seconds is not ordered`},
		{"negative", func(in *Input) { in.Workloads[0].Options[0].Own = Range{-1, 1, 2} }, `own.low is negative`},
		{"kind", func(in *Input) { in.Workloads[0].Options[0].Kind = "guessed" }, `kind "guessed"`},
		{"dup option", func(in *Input) {
			in.Workloads[0].Options = append(in.Workloads[0].Options, in.Workloads[0].Options[0])
		}, `option "a" appears twice`},
		{"dup workload", func(in *Input) { in.Workloads = append(in.Workloads, Workload{Name: "W"}) }, `repeats an earlier workload's name`},
		{"no name", func(in *Input) { in.Workloads[0].Name = "" }, `workloads[0].name is empty`},
		{"threads", func(in *Input) { in.Kernels = []KernelPoint{{Kernel: "Sgemm", Impl: "naive", ISA: "generic"}} }, `threads is 0`},
		{"inf gflops", func(in *Input) {
			in.Kernels = []KernelPoint{{Kernel: "Sgemm", Impl: "naive", ISA: "generic", Threads: 1, GFLOPS: math.Inf(1)}}
		}, `gflops is +Inf`},
		{"months", func(in *Input) {
			in.Workloads[0].BuyVsRent = &BuyVsRent{Points: []CostPoint{{Month: 2, Own: 1}, {Month: 1, Own: 2}}}
		}, `buy_vs_rent.points[1].month 1 does not follow`},
		{"machines", func(in *Input) {
			in.Workloads[0].ScaleOut = []ScaleSeries{{Option: "a", Points: []ScalePoint{{Machines: 0}}}}
		}, `machines is 0`},
		{"trend years", func(in *Input) {
			in.Workloads[0].PriceTrends = []PriceTrend{{Options: 2, FirstYear: 2022, LastYear: 2022}}
		}, `price_trends[0]: 2 options from 2022 to 2022`},
		{"trend slope", func(in *Input) {
			in.Workloads[0].PriceTrends = []PriceTrend{{Options: 2, FirstYear: 2020, LastYear: 2022, Slope: math.NaN()}}
		}, `price_trends[0]: intercept 0, slope NaN`},
		{"trend halving", func(in *Input) {
			in.Workloads[0].PriceTrends = []PriceTrend{{Options: 2, FirstYear: 2020, LastYear: 2022, HalvingYears: -1}}
		}, `price_trends[0].halving_years is negative`},
		{"warning lines", func(in *Input) { in.Warnings = []string{"one", "two\nlines"} }, `warnings[1] is "two\nlines": want one non-empty line`},
		{"empty warning", func(in *Input) { in.Warnings = []string{" "} }, `warnings[0] is " "`},
	}
	in := good()
	if err := in.Validate(); err != nil {
		t.Fatalf("valid input: %v", err)
	}
	for _, c := range cases {
		in := good()
		c.edit(&in)
		err := in.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		// Write refuses it without touching the folder.
		dir := filepath.Join(t.TempDir(), "r")
		if err := Write(dir, in); err == nil {
			t.Errorf("%s: Write accepted invalid input", c.name)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: Write of invalid input created %s", c.name, dir)
		}
	}
}

func TestReplaceAtomically(t *testing.T) {
	in := example(t)
	root := t.TempDir()
	dir := filepath.Join(root, "report")
	if err := Write(dir, Input{Title: "old"}); err != nil {
		t.Fatal(err)
	}
	// A plot of a workload the old report had and the new one lacks goes
	// with it.
	if err := os.WriteFile(filepath.Join(dir, "price-old-net.png"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, in); err != nil {
		t.Fatalf("replacing a report: %v", err)
	}
	files := readAll(t, dir)
	if _, ok := files["price-old-net.png"]; ok {
		t.Error("the old report's files survived the replacement")
	}
	if !bytes.Contains(files["index.html"], []byte(in.Title)) {
		t.Error("the new report is not in place")
	}
	// A failing write leaves the report as it was.
	bad := in
	bad.BudgetPerEpoch = math.NaN()
	if err := Write(dir, bad); err == nil {
		t.Fatal("Write accepted a NaN budget")
	}
	if after := readAll(t, dir); !bytes.Equal(after["index.html"], files["index.html"]) || len(after) != len(files) {
		t.Error("a failed Write changed the existing report")
	}
	// Nothing is left beside the report.
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only the report", names)
	}
	// A folder that is not a report is never replaced.
	other := filepath.Join(root, "home")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(other, in); err == nil || !strings.Contains(err.Error(), "refusing to replace") {
		t.Errorf("Write over a non-report folder: %v, want a refusal", err)
	}
	if b, err := os.ReadFile(filepath.Join(other, "notes.txt")); err != nil || string(b) != "keep me" {
		t.Error("the non-report folder was changed")
	}
	// An empty folder is fine.
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(empty, Input{Generated: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}); err != nil {
		t.Errorf("Write into an empty folder: %v", err)
	}
}

func TestSwapInWithoutExchange(t *testing.T) {
	root := t.TempDir()
	dir, tmp := filepath.Join(root, "r"), filepath.Join(root, "r.new")
	for _, d := range []string{dir, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "f"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saved := exchange
	exchange = func(a, b string) error { return os.ErrInvalid }
	defer func() { exchange = saved }()
	if err := swapIn(tmp, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "f"))
	if err != nil || string(b) != tmp {
		t.Errorf("after the fallback swap dir holds %q (%v), want the new folder's file", b, err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("%d entries left, want 1", len(entries))
	}
}

// TestRefuseForeignFiles: a report folder that also holds a file of the
// user's (issue 15, defect 4) is refused with one line naming the folder
// and the file, and the file survives; an earlier report with only report
// files is replaced.
func TestRefuseForeignFiles(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "report")
	if err := Write(dir, Input{Title: "old"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"notes.txt", "a-plot-of-mine.png", "price-.png"} {
		user := filepath.Join(dir, name)
		if err := os.WriteFile(user, []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := Write(dir, Input{Title: "new"})
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Write over a report holding it: %v, want one line naming %s and the file", name, err, dir)
		}
		if b, err := os.ReadFile(user); err != nil || string(b) != "mine" {
			t.Errorf("%s: the user's file was touched: %q, %v", name, b, err)
		}
		if err := os.Remove(user); err != nil {
			t.Fatal(err)
		}
	}
	// A folder inside the report is not the report's either.
	if err := os.Mkdir(filepath.Join(dir, "drafts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, Input{Title: "new"}); err == nil || !strings.Contains(err.Error(), "drafts") {
		t.Errorf("Write over a report holding a folder: %v, want a refusal naming it", err)
	}
	if err := os.Remove(filepath.Join(dir, "drafts")); err != nil {
		t.Fatal(err)
	}
	// Only report files: replaced.
	if err := Write(dir, Input{Title: "new"}); err != nil {
		t.Fatalf("replacing an earlier report: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "index.html")); !bytes.Contains(b, []byte("<title>new</title>")) {
		t.Error("the earlier report was not replaced")
	}
	// Report files without the report's page are not a report.
	bare := filepath.Join(root, "bare")
	if err := os.Mkdir(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bare, "summary.md"), []byte("my summary"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(bare, Input{}); err == nil || !strings.Contains(err.Error(), "no trainbench report") {
		t.Errorf("Write over a folder with only a summary.md: %v, want a refusal", err)
	}
}

// TestRefuseWorkingDir: "." (or a folder above it) cannot be swapped out
// from under the process; Write says so in one line and leaves it alone.
func TestRefuseWorkingDir(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	keep := filepath.Join(root, "keep.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{".", "..", root, "./"} {
		err := Write(dir, Input{})
		if err == nil || !strings.Contains(err.Error(), "working directory") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Write(%q): %v, want a one-line refusal naming the working directory", dir, err)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the working directory was touched: %v", err)
	}
	// A new folder below it is fine.
	if err := Write("report", Input{}); err != nil {
		t.Errorf("Write(report) from the working directory: %v", err)
	}
}
