package workload

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/trainbench/trainbench/internal/safeyaml"
)

// Load reads a network description from a YAML (.yaml, .yml) or JSON (.json)
// file of at most safeyaml.MaxFileSize bytes, with the field names of
// Network's yaml/json tags, and validates it (Network.Validate). Errors are
// one line naming the file, the line where known, and the field:
// "net.yaml:14: layers[3].filters: 0, must be ≥ 1".
func Load(path string) (Network, error) {
	data, err := safeyaml.ReadFile(path)
	if err != nil {
		return Network{}, err
	}
	return Parse(path, data)
}

// Parse is Load on data already read; name is the file name used in errors
// and its extension selects the format (JSON for .json, YAML otherwise).
// Anchors and aliases are refused (see package safeyaml).
func Parse(name string, data []byte) (Network, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".json", ".yaml", ".yml":
	default:
		return Network{}, fmt.Errorf("%s: unknown extension %q (want .yaml, .yml or .json)", name, ext)
	}
	// JSON is YAML's flow style, so one strict decoder reads both and
	// reports the line for syntax errors, unknown fields and wrong types.
	var n Network
	doc, err := safeyaml.Decode(name, data, &n)
	if err != nil {
		return Network{}, err
	}
	if err := n.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return Network{}, doc.Errorf(fe.Field, "%s", fe.Msg)
		}
		return Network{}, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}
