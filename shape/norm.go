package shape

import "fmt"

// Backward is the pass of a kernel that computes every gradient of a layer
// at once: batch norm's dx, dγ and dβ share their reductions, so one kernel
// does what would otherwise be BackwardData and BackwardWeights.
const Backward Pass = "bwd"

// BatchNorm describes batch normalisation of NHWC activations: each of the
// C channels is normalised over its N·H·W values, then scaled and shifted
// by learned per-channel parameters. ReLU and Residual name what a fused
// kernel does after the normalisation: add a residual input of the same
// shape (the end of a ResNet block), then apply ReLU.
type BatchNorm struct {
	N, H, W, C int
	Residual   bool // add a residual input before the ReLU (or the output)
	ReLU       bool // apply ReLU to the result
}

// Rows is N·H·W, the number of values each channel is normalised over.
func (s BatchNorm) Rows() int { return s.N * s.H * s.W }

// Len is the element count of the input and of the output (of a shape that
// validates; others may overflow).
func (s BatchNorm) Len() int { return s.N * s.H * s.W * s.C }

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1, or a tensor of more than MaxElems elements.
func (s BatchNorm) Validate() error {
	if f, bad := belowMin(field{"N", s.N, 1}, field{"H", s.H, 1}, field{"W", s.W, 1}, field{"C", s.C, 1}); bad {
		return f.err("batchnorm " + s.String())
	}
	if p, bad := tooLarge(product{"N·H·W·C", "the input", elems(s.N, s.H, s.W, s.C)}); bad {
		return p.err("batchnorm " + s.String())
	}
	return nil
}

// String formats the shape compactly: "n8h56w56c256", with "_add" and
// "_relu" appended for the fusions.
func (s BatchNorm) String() string {
	str := fmt.Sprintf("n%dh%dw%dc%d", s.N, s.H, s.W, s.C)
	if s.Residual {
		str += "_add"
	}
	if s.ReLU {
		str += "_relu"
	}
	return str
}

// FLOPs returns the work of a pass, per element of the input: forward
// (training) 7 (mean 1, centred square sum 3, normalise and affine 3),
// backward 11 (dβ 1 and dγ 4 with x̂ recomputed, dx 6), as backward-data 6
// and backward-weights 5 when the two are counted apart; the residual add
// and the ReLU (or its mask in backward) add 1 each. The per-channel
// arithmetic (a square root and a few operations per channel) is left out.
func (s BatchNorm) FLOPs(p Pass) float64 {
	var f float64
	switch p {
	case Forward:
		f = 7
		if s.Residual {
			f++
		}
	case Backward:
		f = 11
	case BackwardData:
		f = 6
	case BackwardWeights:
		f = 5
	}
	if s.ReLU && p != BackwardWeights {
		f++
	}
	return f * float64(s.N) * float64(s.H) * float64(s.W) * float64(s.C)
}

// Bytes returns the compulsory traffic of a pass, 4 bytes an element:
// forward reads x (and the residual) and writes y, and touches 8 vectors
// of C (reads γ, β and the running mean and variance, writes the running
// statistics and the saved mean and inverse deviation); backward reads x
// and dy (and y, to mask by the ReLU) and writes dx (and the residual's
// gradient), and touches 5 vectors of C (γ, the saved statistics, dγ,
// dβ). Backward-data and backward-weights, counted apart, each read x and
// dy; backward-data writes dx.
func (s BatchNorm) Bytes(p Pass) float64 {
	e, c := float64(s.N)*float64(s.H)*float64(s.W)*float64(s.C), float64(s.C)
	switch p {
	case Forward:
		t := 2*e + 8*c
		if s.Residual {
			t += e
		}
		return 4 * t
	case BackwardWeights:
		return 4 * (2*e + 5*c)
	}
	t := 3*e + 5*c
	if s.ReLU {
		t += e
	}
	if s.Residual && p == Backward {
		t += e
	}
	return 4 * t
}

// GlobalAvgPool is global average pooling of NHWC activations: each
// image's H×W values of a channel averaged into one, N×H×W×C → N×C.
type GlobalAvgPool struct {
	N, H, W, C int
}

// InputLen and OutputLen are the element counts of the input and the output
// (of a shape that validates; others may overflow).
func (s GlobalAvgPool) InputLen() int  { return s.N * s.H * s.W * s.C }
func (s GlobalAvgPool) OutputLen() int { return s.N * s.C }

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1, or an input of more than MaxElems elements.
func (s GlobalAvgPool) Validate() error {
	if f, bad := belowMin(field{"N", s.N, 1}, field{"H", s.H, 1}, field{"W", s.W, 1}, field{"C", s.C, 1}); bad {
		return f.err("global-avgpool " + s.String())
	}
	if p, bad := tooLarge(product{"N·H·W·C", "the input", elems(s.N, s.H, s.W, s.C)}); bad {
		return p.err("global-avgpool " + s.String())
	}
	return nil
}

// String formats the shape compactly: "n8h7w7c2048".
func (s GlobalAvgPool) String() string { return fmt.Sprintf("n%dh%dw%dc%d", s.N, s.H, s.W, s.C) }

// FLOPs: forward one add per input element and one scale per output;
// backward-data one scale per output (spreading it over the H·W positions
// is a copy).
func (s GlobalAvgPool) FLOPs(p Pass) float64 {
	out := float64(s.N) * float64(s.C)
	if p == Forward {
		return out*float64(s.H)*float64(s.W) + out
	}
	return out
}

// Bytes: forward reads the input and writes the output; backward-data reads
// dy and writes dx; 4 bytes an element.
func (s GlobalAvgPool) Bytes(p Pass) float64 {
	out := float64(s.N) * float64(s.C)
	return 4 * (out*float64(s.H)*float64(s.W) + out)
}
