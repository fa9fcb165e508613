package workload

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads a network description from a YAML (.yaml, .yml) or JSON (.json)
// file, with the field names of Network's yaml/json tags, and validates it
// (Network.Validate). Errors name the file, the field and, where known, the
// line: "net.yaml:14: layers[3].filters: 0, must be ≥ 1".
func Load(path string) (Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Network{}, err
	}
	return Parse(path, data)
}

// Parse is Load on data already read; name is the file name used in errors
// and its extension selects the format (JSON for .json, YAML otherwise).
func Parse(name string, data []byte) (Network, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".json", ".yaml", ".yml":
	default:
		return Network{}, fmt.Errorf("%s: unknown extension %q (want .yaml, .yml or .json)", name, ext)
	}
	// JSON is YAML's flow style, so one strict decoder reads both and
	// reports line:column for syntax errors, unknown fields and wrong types.
	var n Network
	if err := yaml.UnmarshalWithOptions(data, &n, yaml.Strict()); err != nil {
		return Network{}, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	if err := n.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			if line := FieldLine(data, fe.Field); line > 0 {
				return Network{}, fmt.Errorf("%s:%d: %s: %s", name, line, fe.Field, fe.Msg)
			}
			return Network{}, fmt.Errorf("%s: %s: %s", name, fe.Field, fe.Msg)
		}
		return Network{}, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}

// FieldLine returns the line of the field at path ("layers[3].filters") in a
// YAML or JSON document, or of its nearest enclosing field that is present;
// 0 if none is found.
func FieldLine(data []byte, path string) int {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return 0
	}
	for path != "" {
		if p, err := yaml.PathString("$." + path); err == nil {
			if node, err := p.FilterFile(f); err == nil && node != nil {
				return line(node)
			}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func line(n ast.Node) int {
	if t := n.GetToken(); t != nil && t.Position != nil {
		return t.Position.Line
	}
	return 0
}
