package reports

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/png" // DecodeConfig of the rendered plots
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/trainbench/trainbench/internal/atomicfile"
)

// generatorMark is in every index.html Write produces; Write replaces an
// existing folder only if it is empty or holds a page with this mark and
// nothing but report files.
const generatorMark = `<meta name="generator" content="trainbench reports">`

// Files lists the files Write puts in the report folder for in, in order:
// index.html, summary.md, then the plots.
func Files(in Input) ([]string, error) {
	if err := in.Validate(); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	names := []string{"index.html", "summary.md"}
	for _, w := range in.Workloads {
		names = append(names, workloadFiles(w.Name)...)
	}
	return append(names, kernelFiles...), nil
}

// Write renders the report for in into the folder dir: index.html,
// summary.md and one PNG per plot. It builds the whole report in a new
// folder beside dir (".benchrun-<dir>-<random>.tmp", removed on every error,
// and by the next Write of dir if the process was killed) and only then
// puts it in dir's place, so an existing
// report is replaced only by a complete one; dir itself, if it exists, must
// be empty or an earlier report holding only the files a report writes
// (Write refuses anything else, naming the first file it would lose, and
// the working directory itself).
// Identical inputs give byte-identical files.
func Write(dir string, in Input) error {
	if err := in.Validate(); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if err := replaceable(dir); err != nil {
		return err
	}
	files, err := renderAll(&in)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	atomicfile.RemoveStale(dir) // left by a write of dir that was killed
	tmp, err := os.MkdirTemp(parent, atomicfile.Pattern(base))
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		if err := writeFile(filepath.Join(tmp, f.name), f.data); err != nil {
			return fmt.Errorf("reports: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if err := swapIn(tmp, dir); err != nil {
		return fmt.Errorf("reports: putting the new report in place of %s: %w", dir, err)
	}
	ok = true
	return nil
}

type file struct {
	name string
	data []byte
}

// renderAll produces every file of the report in memory.
func renderAll(in *Input) ([]file, error) {
	p, err := build(in)
	if err != nil {
		return nil, err
	}
	for wi := range p.Workloads {
		for si := range p.Workloads[wi].Sections {
			if err := sizeFigure(&p.Workloads[wi].Sections[si].Fig); err != nil {
				return nil, err
			}
		}
	}
	for si := range p.Kernels {
		if err := sizeFigure(&p.Kernels[si].Fig); err != nil {
			return nil, err
		}
	}
	html, err := renderHTML(p)
	if err != nil {
		return nil, err
	}
	md, err := renderMarkdown(p)
	if err != nil {
		return nil, err
	}
	files := []file{{"index.html", html}, {"summary.md", md}}
	for _, f := range p.figures() {
		files = append(files, file{f.File, f.PNG})
	}
	return files, nil
}

// sizeFigure records the pixel size of a rendered plot for the page.
func sizeFigure(f *figure) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(f.PNG))
	if err != nil {
		return fmt.Errorf("%s: %w", f.File, err)
	}
	f.W, f.H = cfg.Width, cfg.Height
	return nil
}

// replaceable checks that dir is absent, empty, or an earlier report and
// nothing else: index.html with the generator mark, and only the names a
// report writes (ReportFile), so that replacing it deletes no file of the
// user's. It refuses the working directory and the folders above it, which
// cannot be swapped out from under the process.
func replaceable(dir string) error {
	if err := notWorkingDir(dir); err != nil {
		return err
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("reports: %s exists and is not a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries { // sorted by name
		if !e.Type().IsRegular() || !ReportFile(e.Name()) {
			return fmt.Errorf("reports: refusing to replace %s: it holds %s, which a report does not write", dir, e.Name())
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !bytes.Contains(page, []byte(generatorMark)) {
		return fmt.Errorf("reports: refusing to replace %s: it holds no trainbench report (index.html)", dir)
	}
	return nil
}

// notWorkingDir refuses dir when it is the working directory or a folder
// above it: the report is swapped in by renaming folders, and the process
// (and the user's shell) would be left in a deleted one.
func notWorkingDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	// wd is dir or below it when the path from dir to wd does not climb.
	if rel, err := filepath.Rel(abs, wd); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("reports: refusing to write the report into %s: it is the working directory or holds it; name a new folder (for example %s)", dir, filepath.Join(dir, "report"))
	}
	return nil
}

// ReportFile reports whether name is a file a report writes: index.html,
// summary.md, a kernel plot, or a workload plot of any workload.
func ReportFile(name string) bool {
	if name == "index.html" || name == "summary.md" || slices.Contains(kernelFiles, name) {
		return true
	}
	for _, p := range workloadPlots {
		if rest, ok := strings.CutPrefix(name, p); ok {
			s, ok := strings.CutSuffix(rest, ".png")
			return ok && s != "" && slug(s) == s
		}
	}
	return false
}

// writeFile writes data to a new file and syncs it.
func writeFile(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// swapIn puts the folder tmp at dir, removing what was there. Where the
// system can exchange two paths atomically (Linux renameat2), readers see
// either the old report or the new one, never neither; elsewhere there is a
// moment between two renames when dir does not exist.
func swapIn(tmp, dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return os.Rename(tmp, dir)
	}
	if err := exchange(tmp, dir); err == nil {
		return os.RemoveAll(tmp) // tmp now holds the old report
	}
	old := strings.TrimSuffix(tmp, ".tmp") + ".old.tmp" // a temporary of dir's too, for RemoveStale
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w (and restoring the old report failed: %v; it is at %s)", err, rerr, old)
		}
		return err
	}
	return os.RemoveAll(old)
}
