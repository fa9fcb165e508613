package safeyaml

import (
	"encoding"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// checkNumbers walks the tree n alongside the Go type t it decodes into and
// refuses the numbers go-yaml lets through: a fractional number where an
// integer belongs (go-yaml truncates "units: 12.5" to 12 without a word),
// .nan and .inf where a float belongs (no input file has a use for a number
// that is not finite, and one that slips in poisons every sum it reaches),
// and a number in quotes where a number belongs (go-yaml converts "3" and
// "nan" alike, so quotes would be a way around the first two rules).
// Parts of the tree that do not match t are left to the decoder, which
// reports them; so are types with their own unmarshaling.
func checkNumbers(t reflect.Type, n ast.Node) *Error {
	if n == nil || t == nil {
		return nil
	}
	if n.Type() == ast.NullType {
		return nil // the zero value, as in go-yaml
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if ownDecoder(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return checkNumber(n, false)
	case reflect.Float32, reflect.Float64:
		return checkNumber(n, true)
	case reflect.Struct:
		fields := yamlFields(t)
		return eachEntry(n, func(key string, v ast.Node) *Error {
			if ft, ok := fields[key]; ok {
				return checkNumbers(ft, v)
			}
			return nil
		}, t)
	case reflect.Map:
		return eachEntry(n, func(_ string, v ast.Node) *Error { return checkNumbers(t.Elem(), v) }, t)
	case reflect.Slice, reflect.Array:
		if s, ok := n.(*ast.SequenceNode); ok {
			for _, v := range s.Values {
				if err := checkNumbers(t.Elem(), v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkNumber checks a scalar bound for a number field: an integer field
// takes an integer (1e3 and 4.0 are integers; 12.5 is not), a float field a
// finite number, and neither a quoted string.
func checkNumber(n ast.Node, float bool) *Error {
	what := "an integer"
	if float {
		what = "a finite number"
	}
	fail := func(msg string) *Error {
		return &Error{Line: line(n.GetToken()), Field: nodePath(n), Msg: quote(tokenValue(n)) + msg}
	}
	var x float64
	switch v := n.(type) {
	case *ast.IntegerNode:
		return nil
	case *ast.FloatNode:
		x = v.Value
	case *ast.InfinityNode, *ast.NanNode:
		return fail(" is not " + what)
	case *ast.LiteralNode:
		return fail(" is a string, not " + what)
	case *ast.StringNode:
		// go-yaml reads "1e3", "nan" and "infinity" unquoted as strings and
		// converts them when a number is wanted.
		if tk := v.GetToken(); tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType) {
			return fail(" is a string, not " + what + ": write numbers without quotes")
		}
		var err error
		if x, err = strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil // not a number the decoder would have taken, nor one checked here
		}
	default:
		return nil
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fail(" is not " + what)
	}
	if !float && x != math.Trunc(x) {
		return fail(" is not an integer")
	}
	return nil
}

// eachEntry calls f for every key and value of the mapping n, following a
// merge key ("<<") into the mapping it merges, as the decoder does.
func eachEntry(n ast.Node, f func(key string, v ast.Node) *Error, t reflect.Type) *Error {
	var entries []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	}
	for _, e := range entries {
		if e.Key == nil {
			continue
		}
		var err *Error
		if e.Key.IsMergeKey() {
			err = checkNumbers(t, e.Value)
		} else {
			err = f(tokenValue(e.Key), e.Value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// yamlFields maps the keys of a struct type to the types of their fields,
// with go-yaml's naming rules: the yaml tag's name, else the json tag's,
// else the lower-cased field name; "-" and unexported fields skipped; the
// fields of an ",inline" field as the struct's own.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" {
			tag = f.Tag.Get("json")
		}
		if f.PkgPath != "" && !f.Anonymous || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					if _, own := fields[k]; !own {
						fields[k] = v
					}
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields
}

var (
	bytesUnmarshaler     = reflect.TypeFor[yaml.BytesUnmarshaler]()
	interfaceUnmarshaler = reflect.TypeFor[yaml.InterfaceUnmarshaler]()
	nodeUnmarshaler      = reflect.TypeFor[yaml.NodeUnmarshaler]()
	textUnmarshaler      = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// ownDecoder reports whether values of type t decode themselves, or are
// decoded by go-yaml as something other than their kind suggests.
func ownDecoder(t reflect.Type) bool {
	if t == reflect.TypeFor[time.Time]() || t == reflect.TypeFor[time.Duration]() {
		return true
	}
	p := reflect.PointerTo(t)
	for _, i := range []reflect.Type{bytesUnmarshaler, interfaceUnmarshaler, nodeUnmarshaler, textUnmarshaler} {
		if p.Implements(i) || t.Implements(i) {
			return true
		}
	}
	return false
}

// nodePath is the path of n in its file ("layers[3].filters").
func nodePath(n ast.Node) string {
	return strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
}

func tokenValue(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return ""
}
