package shape

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
)

// The fuzz targets check each validator against exact arithmetic (math/big):
// Validate accepts a shape exactly when every field is in range and every
// tensor has at most MaxElems elements, and for an accepted shape every
// length the package derives equals the exact product and the FLOP and byte
// counts are finite and positive. Refusals are one-line *Error values.

// prod is the exact product of vs.
func prod(vs ...int) *big.Int {
	p := big.NewInt(1)
	for _, v := range vs {
		p.Mul(p, big.NewInt(int64(v)))
	}
	return p
}

var maxElems = big.NewInt(MaxElems)

// fits reports whether every product is in [0, MaxElems].
func fits(ps ...*big.Int) bool {
	for _, p := range ps {
		if p.Sign() < 0 || p.Cmp(maxElems) > 0 {
			return false
		}
	}
	return true
}

// checkLen fails unless got equals the exact product and is positive.
func checkLen(t *testing.T, what string, got int, want *big.Int) {
	t.Helper()
	if !want.IsInt64() || int64(got) != want.Int64() || got < 1 {
		t.Fatalf("%s = %d, exactly %v", what, got, want)
	}
}

func checkWork(t *testing.T, what string, vs ...float64) {
	t.Helper()
	for _, v := range vs {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Fatalf("%s: FLOPs or bytes %v, want finite and positive", what, v)
		}
	}
}

// checkErr fails unless err is a one-line *Error naming a field.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) || se.Field == "" || strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("error %q is not a one-line *Error naming a field", err)
	}
}

// seeds are values at the edges: small, the int and MaxElems limits, powers
// of two whose products wrap.
var seeds = []int64{1, 2, 3, 0, -1, 1 << 16, 1 << 31, 1 << 32, MaxElems, MaxElems + 1, math.MaxInt64, math.MinInt64}

func FuzzConv2DValidate(f *testing.F) {
	f.Add(int64(1), int64(5), int64(5), int64(3), int64(4), int64(3), int64(3), int64(1), int64(1), int64(0), int64(0), int64(1), int64(1))
	for _, v := range seeds {
		f.Add(v, v, v, v, int64(1), int64(1), int64(1), int64(1), int64(1), int64(0), int64(0), int64(1), int64(1))
		f.Add(int64(2), int64(7), int64(7), int64(1), v, int64(3), int64(3), int64(2), int64(2), v, int64(1), v, int64(1))
	}
	f.Fuzz(func(t *testing.T, n, h, w, c, k, r, s, sh, sw, ph, pw, dh, dw int64) {
		cs := Conv2D{N: int(n), H: int(h), W: int(w), C: int(c), K: int(k), R: int(r), S: int(s),
			StrideH: int(sh), StrideW: int(sw), PadH: int(ph), PadW: int(pw), DilH: int(dh), DilW: int(dw)}
		err := cs.Validate()
		// Exactly: the output size of one dimension, or ok = false if the
		// fields are out of range or the filter does not fit.
		out := func(in, pad, dil, f, st int) (*big.Int, bool) {
			if in < 1 || pad < 0 || dil < 1 || f < 1 || st < 1 {
				return nil, false
			}
			span := new(big.Int).Add(prod(2, pad), big.NewInt(int64(in)))
			span.Sub(span, prod(dil, f-1))
			span.Sub(span, big.NewInt(1))
			if span.Sign() < 0 {
				return nil, false
			}
			return span.Div(span, big.NewInt(int64(st))).Add(span, big.NewInt(1)), true
		}
		p, okP := out(cs.H, cs.PadH, cs.DilH, cs.R, cs.StrideH)
		q, okQ := out(cs.W, cs.PadW, cs.DilW, cs.S, cs.StrideW)
		valid := okP && okQ && cs.N >= 1 && cs.C >= 1 && cs.K >= 1
		var in, wt, o, col *big.Int
		if valid {
			in, wt = prod(cs.N, cs.H, cs.W, cs.C), prod(cs.K, cs.R, cs.S, cs.C)
			o = new(big.Int).Mul(prod(cs.N, cs.K), new(big.Int).Mul(p, q))
			col = new(big.Int).Mul(prod(cs.N, cs.R, cs.S, cs.C), new(big.Int).Mul(p, q))
			valid = fits(in, wt, o, col)
		}
		if (err == nil) != valid {
			t.Fatalf("%v: Validate = %v, but the shape is valid: %v", cs, err, valid)
		}
		if err != nil {
			checkErr(t, err)
			return
		}
		checkLen(t, "OutH", cs.OutH(), p)
		checkLen(t, "OutW", cs.OutW(), q)
		checkLen(t, "InputLen", cs.InputLen(), in)
		checkLen(t, "WeightLen", cs.WeightLen(), wt)
		checkLen(t, "OutputLen", cs.OutputLen(), o)
		for _, pass := range []Pass{Forward, BackwardData, BackwardWeights} {
			checkWork(t, cs.String(), cs.FLOPs(pass), cs.Bytes(pass))
		}
	})
}

func FuzzDenseValidate(f *testing.F) {
	f.Add(int64(32), int64(1600), int64(128))
	for _, v := range seeds {
		f.Add(v, v, int64(1))
		f.Add(int64(2), v, v)
	}
	f.Fuzz(func(t *testing.T, b, i, o int64) {
		s := Dense{Batch: int(b), In: int(i), Out: int(o)}
		err := s.Validate()
		valid := s.Batch >= 1 && s.In >= 1 && s.Out >= 1 && fits(prod(s.Batch, s.In), prod(s.In, s.Out), prod(s.Batch, s.Out))
		if (err == nil) != valid {
			t.Fatalf("%v: Validate = %v, but the shape is valid: %v", s, err, valid)
		}
		if err != nil {
			checkErr(t, err)
			return
		}
		checkLen(t, "InputLen", s.InputLen(), prod(s.Batch, s.In))
		checkLen(t, "WeightLen", s.WeightLen(), prod(s.In, s.Out))
		checkLen(t, "OutputLen", s.OutputLen(), prod(s.Batch, s.Out))
		for _, pass := range []Pass{Forward, BackwardData, BackwardWeights} {
			g, _ := s.Gemm(pass)
			if err := g.Validate(); err != nil {
				t.Fatalf("%v: the %s GEMM of a valid dense shape: %v", s, pass, err)
			}
			checkWork(t, s.String(), s.FLOPs(pass), s.Bytes(pass), g.FLOPs(), g.Bytes())
		}
	})
}

func FuzzPoolValidate(f *testing.F) {
	f.Add(int64(32), int64(26), int64(26), int64(32), int64(2), int64(2), int64(0))
	f.Add(int64(8), int64(112), int64(112), int64(64), int64(3), int64(2), int64(1))
	for _, v := range seeds {
		f.Add(v, v, v, v, int64(2), int64(2), int64(0))
		f.Add(int64(1), int64(9), int64(9), int64(1), v, v, int64(1))
		f.Add(int64(1), v, int64(9), int64(1), v, int64(1), v/2)
	}
	f.Fuzz(func(t *testing.T, n, h, w, c, win, st, pad int64) {
		s := Pool{N: int(n), H: int(h), W: int(w), C: int(c), Window: int(win), Stride: int(st), Pad: int(pad)}
		err := s.Validate()
		in := prod(s.N, s.H, s.W, s.C)
		win2, ph, pw := big.NewInt(int64(s.Window)), prod(s.H), prod(s.W)
		twoPad := big.NewInt(2 * pad)
		if pad >= 0 && pad <= math.MaxInt64/2 {
			ph.Add(ph, twoPad)
			pw.Add(pw, twoPad)
		}
		valid := s.N >= 1 && s.H >= 1 && s.W >= 1 && s.C >= 1 && s.Window >= 1 && s.Stride >= 1 &&
			s.Pad >= 0 && s.Pad <= s.Window/2 && ph.IsInt64() && pw.IsInt64() &&
			win2.Cmp(ph) <= 0 && win2.Cmp(pw) <= 0 && in.Cmp(big.NewInt(math.MaxInt32)) <= 0
		if (err == nil) != valid {
			t.Fatalf("%v: Validate = %v, but the shape is valid: %v", s, err, valid)
		}
		if err != nil {
			checkErr(t, err)
			return
		}
		p, q := (s.H+2*s.Pad-s.Window)/s.Stride+1, (s.W+2*s.Pad-s.Window)/s.Stride+1
		checkLen(t, "InputLen", s.InputLen(), in)
		checkLen(t, "OutputLen", s.OutputLen(), prod(s.N, p, q, s.C))
		checkWork(t, s.String(), s.FLOPs(Forward), s.Bytes(Forward), s.FLOPs(BackwardData), s.Bytes(BackwardData))
	})
}

func FuzzGemmValidate(f *testing.F) {
	f.Add(int64(2), int64(3), int64(4))
	for _, v := range seeds {
		f.Add(v, v, int64(0))
		f.Add(int64(1), v, v)
	}
	f.Fuzz(func(t *testing.T, m, n, k int64) {
		g := Gemm{M: int(m), N: int(n), K: int(k)}
		err := g.Validate()
		valid := g.M >= 0 && g.N >= 0 && g.K >= 0 && fits(prod(g.M, g.K), prod(g.K, g.N), prod(g.M, g.N))
		if (err == nil) != valid {
			t.Fatalf("%+v: Validate = %v, but the product is valid: %v", g, err, valid)
		}
		if err != nil {
			checkErr(t, err)
			return
		}
		if f, b := g.FLOPs(), g.Bytes(); f < 0 || b < 0 || math.IsInf(f, 0) || math.IsInf(b, 0) {
			t.Fatalf("%+v: FLOPs %v, bytes %v", g, f, b)
		}
	})
}
