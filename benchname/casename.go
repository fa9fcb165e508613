package benchname

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trainbench/trainbench/shape"
)

// Param is one key=value element of a case name.
type Param struct {
	Key, Value string
}

// CaseName is a benchmark case name, typed: its family and the value of
// each key. Format writes the keys that are set in the order of the fields
// (pass, op, impl, isa, prec, threads, shape, m, n, k, trans, size), then Extra;
// Parse reads a name back.
type CaseName struct {
	Family  string
	Pass    shape.Pass // "" for one-pass kernels
	Op      string     // STREAM op (Stream)
	Impl    string
	ISA     string
	Prec    Precision // peak loop precision (Peak); a kernel's operand precision, "" for f32 (see the package doc)
	Threads int
	Shape   string
	M, N, K int    // matrix product (Sgemm)
	Trans   string // its transposed operands, "nt", "tn" or "tt"; "" for neither (Sgemm)
	Size    int    // working set, bytes (Stream)
	// Extra are elements of a parsed name whose key the schema does not
	// know, in order (a positional element has an empty key).
	Extra []Param
}

// Params returns the name's elements in the order Format writes them;
// empty strings and zero numbers are left out.
func (c CaseName) Params() []Param {
	var ps []Param
	str := func(k, v string) {
		if v != "" {
			ps = append(ps, Param{k, v})
		}
	}
	num := func(k string, v int) {
		if v != 0 {
			ps = append(ps, Param{k, strconv.Itoa(v)})
		}
	}
	str(KeyPass, string(c.Pass))
	str(KeyOp, c.Op)
	str(KeyImpl, c.Impl)
	str(KeyISA, c.ISA)
	str(KeyPrec, string(c.Prec))
	num(KeyThreads, c.Threads)
	str(KeyShape, c.Shape)
	num(KeyM, c.M)
	num(KeyN, c.N)
	num(KeyK, c.K)
	str(KeyTrans, c.Trans)
	num(KeySize, c.Size)
	return append(ps, c.Extra...)
}

// SubName is the name below the family: "impl=blocked/isa=avx2/...".
func (c CaseName) SubName() string {
	ps := c.Params()
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Value
		if p.Key != "" {
			parts[i] = p.Key + "=" + p.Value
		}
	}
	return strings.Join(parts, "/")
}

// Format returns the full name without the "Benchmark" prefix:
// "Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64".
func (c CaseName) Format() string {
	if sub := c.SubName(); sub != "" {
		return c.Family + "/" + sub
	}
	return c.Family
}

// Parse reads a case name as Format writes it (without the "Benchmark"
// prefix and the -GOMAXPROCS suffix). threads, m, n, k and size must be
// positive integers and prec a precision; keys the schema does not know are
// kept in Extra. The error names the element.
func Parse(name string) (CaseName, error) {
	elems := strings.Split(name, "/")
	c := CaseName{Family: elems[0]}
	for _, e := range elems[1:] {
		k, v, ok := strings.Cut(e, "=")
		if !ok {
			k, v = "", e
		}
		if err := c.set(k, v); err != nil {
			return CaseName{}, fmt.Errorf("%s: %s=%q, %v", name, k, v, err)
		}
	}
	return c, nil
}

// set sets the field of key k to v, or appends the element to Extra.
func (c *CaseName) set(k, v string) error {
	count := map[string]*int{KeyThreads: &c.Threads, KeyM: &c.M, KeyN: &c.N, KeyK: &c.K, KeySize: &c.Size}
	if f, ok := count[k]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a positive integer")
		}
		*f = n
		return nil
	}
	text := map[string]*string{KeyOp: &c.Op, KeyImpl: &c.Impl, KeyISA: &c.ISA, KeyShape: &c.Shape, KeyTrans: &c.Trans}
	switch f, ok := text[k]; {
	case ok:
		*f = v
	case k == KeyPass:
		c.Pass = shape.Pass(v)
	case k == KeyPrec:
		p, err := ParsePrecision(v)
		if err != nil {
			return err
		}
		c.Prec = p
	default:
		c.Extra = append(c.Extra, Param{k, v})
	}
	return nil
}
