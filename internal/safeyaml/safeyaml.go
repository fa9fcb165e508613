// Package safeyaml reads the YAML and JSON input files of trainbench (hardware
// catalogs, network descriptions) so that no file can blow the process up:
// files are capped at MaxFileSize bytes, anchors and aliases are refused
// (an alias repeats a node, so a file of a few hundred bytes can expand to
// billions of them), nesting is capped at MaxDepth, fields are decoded
// strictly, and every error is one line that names the file, the line and
// the field by its path in the file, never echoing raw bytes.
//
// It wraps github.com/goccy/go-yaml: the lexer's tokens are checked before
// the parser sees them and the decoder only ever sees the checked tree.
package safeyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// MaxFileSize is the largest input file accepted, 1 MiB: fifty times the
// embedded hardware catalog, and small enough that parsing the largest file
// takes about a second and a few hundred MiB.
const MaxFileSize = 1 << 20

// MaxDepth is the deepest nesting of mappings and lists accepted; the
// catalog and network files nest five deep. The parser recurses per level,
// so a file of a million "[" would otherwise exhaust memory.
const MaxDepth = 32

// Error is an input file error: the file, the line (0 when unknown), the
// field as a path in the file ("layers[3].filters", "" when none) and what is
// wrong.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, escapeControls(e.Field), e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// ReadFile reads the file at path, refusing one larger than MaxFileSize
// without reading more than one byte past the limit.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	return data, nil
}

// Doc is a decoded file, kept to find the lines of fields that later
// validation rejects.
type Doc struct {
	name  string
	lines map[string]int // path ("layers[3].filters") → line
}

// Line returns the line of the field at path ("layers[3].filters"), or of its
// nearest enclosing field present in the file; 0 if none is.
func (d *Doc) Line(path string) int {
	for path != "" {
		if l, ok := d.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// Errorf returns an *Error for the field at path of this document, at its
// line (or its nearest enclosing field's).
func (d *Doc) Errorf(path, format string, args ...any) *Error {
	return &Error{File: d.name, Line: d.Line(path), Field: path, Msg: fmt.Sprintf(format, args...)}
}

// Decode decodes data, the contents of the file called name, into the value
// v points to. JSON is YAML's flow style, so one strict decoder reads both:
// unknown fields, duplicate keys and values of the wrong type are errors.
// data must be at most MaxFileSize bytes of text holding one document,
// without anchors, aliases or tags, nested at most MaxDepth deep. Numbers
// are checked against the fields they land in: integer fields refuse
// fractions (go-yaml would truncate them), float fields refuse .nan and
// .inf, and neither takes a number in quotes. Errors are
// *Error values; a panic of go-yaml on some input yet unseen is one too,
// saying so, rather than a crash.
func Decode(name string, data []byte, v any) (doc *Doc, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, &Error{File: name, Msg: oneLine(fmt.Sprintf("%s (%v)", decoderPanicked, r))}
		}
	}()
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	if err := checkText(data); err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	tokens := lexer.Tokenize(string(data))
	if err := checkTokens(tokens); err != nil {
		err.File = name
		return nil, err
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, decodeError(name, err, nil)
	}
	doc = &Doc{name: name, lines: map[string]int{}}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, &Error{File: name, Line: line(d.Body.GetToken()), Msg: "a second YAML document: a file holds one"}
		}
		body = d.Body
	}
	if body == nil {
		return doc, nil // an empty file decodes to the zero value, as in go-yaml
	}
	paths := map[*token.Token]string{}
	ast.Walk(visitor(func(n ast.Node) {
		tk := n.GetToken()
		p := strings.TrimPrefix(strings.TrimPrefix(n.GetPath(), "$"), ".")
		if _, seen := paths[tk]; !seen && tk != nil {
			paths[tk] = p
		}
		if _, seen := doc.lines[p]; !seen && p != "" {
			doc.lines[p] = line(tk)
		}
	}), body)
	if err = yaml.NodeToValue(body, v, yaml.Strict()); err != nil {
		return nil, decodeError(name, err, paths)
	}
	if e := checkNumbers(reflect.TypeOf(v), body); e != nil {
		e.File = name
		return nil, e
	}
	return doc, nil
}

// decoderPanicked starts the error for a panic in go-yaml; the fuzz tests
// fail on it, since each such input should get its own check.
const decoderPanicked = "the YAML decoder failed on this file"

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}

// checkText refuses data that is not text: invalid UTF-8, or control
// characters YAML does not allow (a binary file, say).
func checkText(data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return fmt.Errorf("not a YAML or JSON file (byte %d is %#02x, not text)", i, data[i])
		}
		i += size
	}
	return nil
}

// checkTokens refuses anchors, aliases, tags and nesting deeper than
// MaxDepth. Tags are refused because no trainbench file needs them and
// go-yaml mishandles some (a !!str tag printed a whole alias expansion; a
// tag on a list where a list belongs crashed the decoder).
// Depth counts open flow collections ([ and {) plus the block collections
// enclosing a token, which are those whose indicator ("-" or a key) sits at
// a smaller column on the way in.
func checkTokens(tokens token.Tokens) *Error {
	flow := 0
	var cols []int // columns of the open block collections, increasing
	for i, tk := range tokens {
		at := &Error{Line: line(tk)}
		switch tk.Type {
		case token.AnchorType, token.AliasType:
			at.Msg = "anchors and aliases (&name, *name) are not accepted: write the values out"
			return at
		case token.TagType:
			at.Msg = "tags (!name, !!type) are not accepted: write plain values"
			return at
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0) // a stray closer is the parser's to report
		case token.SequenceEntryType, token.MappingValueType:
			if flow > 0 {
				break
			}
			col := column(tk)
			if tk.Type == token.MappingValueType && i > 0 {
				col = column(tokens[i-1]) // the key's column
			}
			for len(cols) > 0 && cols[len(cols)-1] >= col {
				cols = cols[:len(cols)-1]
			}
			cols = append(cols, col)
		}
		if flow+len(cols) > MaxDepth {
			at.Msg = fmt.Sprintf("nested more than %d deep", MaxDepth)
			return at
		}
	}
	return nil
}

func line(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

func column(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Column
}

// decodeError turns a go-yaml error into one line naming the file, the line
// and the field (looked up in paths by the error's token), with a message in
// the file's terms rather than Go's.
func decodeError(name string, err error, paths map[*token.Token]string) *Error {
	e := &Error{File: name}
	var ye yaml.Error
	if !errors.As(err, &ye) {
		e.Msg = oneLine(err.Error())
		return e
	}
	tk := ye.GetToken()
	e.Line, e.Field = line(tk), paths[tk]
	value := ""
	if tk != nil {
		value = quote(tk.Value)
	}
	var (
		te *yaml.TypeError
		oe *yaml.OverflowError
		ue *yaml.UnknownFieldError
		de *yaml.DuplicateKeyError
		ne *yaml.UnexpectedNodeTypeError
	)
	switch {
	case errors.As(err, &te):
		e.Msg = fmt.Sprintf("%s is not %s", value, kindWord(te.DstType))
	case errors.As(err, &oe):
		e.Msg = fmt.Sprintf("%s is out of range for %s", value, kindWord(oe.DstType))
	case errors.As(err, &ue):
		e.Msg = "unknown field"
		if e.Field == "" {
			e.Msg = "unknown field " + value
		}
	case errors.As(err, &de):
		e.Msg = "duplicate key " + value
	case errors.As(err, &ne):
		e.Msg = fmt.Sprintf("a %s where a %s belongs", nodeWord(ne.Actual), nodeWord(ne.Expected))
	default:
		e.Msg = oneLine(ye.GetMessage())
	}
	return e
}

// kindWord names what a Go type holds in a file's terms.
func kindWord(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a value"
}

func nodeWord(t ast.NodeType) string {
	switch t {
	case ast.MappingType, ast.MappingValueType:
		return "mapping"
	case ast.SequenceType:
		return "list"
	}
	return "scalar"
}

// quote quotes a value from the file for an error, cut to a short prefix.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// oneLine keeps an error message to one short line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 160 {
		s = string([]rune(s)[:160]) + "…"
	}
	return s
}

// escapeControls writes the control characters of s (a key may hold a
// newline) as Go escapes, so that an error naming the field stays one line.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
