package wino

// Kind is one transform: its matrix L (m×n), whether its input tile has row
// and column ranges outside which it reads zero, and the epilogue of an
// output transform.
type Kind struct {
	L               [][]float32
	Ranged, Out     bool
	Bias, ReLU, Acc bool
	name            string
}

// The transforms of F(4×4, 3×3), as the generated routines compute them.
var (
	Input          = Kind{L: matBT, Ranged: true, name: "input"}
	Filter         = Kind{L: matG, name: "filter"}
	Output         = Kind{L: matAT, Out: true, name: "output"}
	OutputBias     = Kind{L: matAT, Out: true, Bias: true, name: "output+bias"}
	OutputReLU     = Kind{L: matAT, Out: true, ReLU: true, name: "output+relu"}
	OutputBiasReLU = Kind{L: matAT, Out: true, Bias: true, ReLU: true, name: "output+bias+relu"}
	OutputAcc      = Kind{L: matAT, Out: true, Acc: true, name: "output+acc"}
)

// The transforms of F(3×3, 4×4), the weight gradient's (with Input's Bᵀ).
var (
	GradTile  = Kind{L: matGW, Ranged: true, name: "grad-tile"}
	WeightOut = Kind{L: matAWT, name: "weight-out"}
)

// comb is Σ_i row[i]·x[i], evaluated as the routines do: terms in order,
// zero coefficients skipped, ±1 as additions and subtractions, other
// products rounded to float32 before they are added.
func comb(row, x []float32) float32 {
	var acc float32
	first := true
	for i, k := range row {
		switch {
		case k == 0:
			continue
		case first && k == 1:
			acc = x[i]
		case first:
			acc = float32(k * x[i])
		case k == 1:
			acc += x[i]
		case k == -1:
			acc -= x[i]
		default:
			acc += float32(k * x[i])
		}
		first = false
	}
	return acc
}

// xformGo is the specification of every generated routine. For each channel
// ch < c, with L = k.L (m×n):
//
//	D[i][j]  = src[soff + i·srow + j·spix + ch]   (i, j < n; for a Ranged
//	           kind 0 unless r0 ≤ i < r1 and c0 ≤ j < c1)
//	O        = L·D·Lᵀ, the column pass T = L·D first, then O = T·Lᵀ
//	dst[doff + a·drow + b·dpix + ch] = O[a][b]   (a, b < m; for an Out kind
//	           only a < rows and b < cols, the value + bias[ch] with Bias,
//	           max(·, 0) with ReLU (0 for NaN), added to dst's value with Acc)
//
// soff may be negative where the elements read are not.
func xformGo(k *Kind, dst []float32, doff, drow, dpix, rows, cols int, src []float32, soff, srow, spix, r0, r1, c0, c1 int, bias []float32, c int) {
	L := k.L
	m, n := len(L), len(L[0])
	if !k.Ranged {
		r0, r1, c0, c1 = 0, n, 0, n
	}
	if !k.Out {
		rows, cols = m, m
	}
	var d, tr [6]float32
	var t [6][6]float32
	for ch := range c {
		for j := range n {
			if j < c0 || j >= c1 {
				for a := range m {
					t[a][j] = 0
				}
				continue
			}
			for i := range n {
				d[i] = 0
				if i >= r0 && i < r1 {
					d[i] = src[soff+i*srow+j*spix+ch]
				}
			}
			for a := range m {
				t[a][j] = comb(L[a], d[:n])
			}
		}
		for a := 0; a < m && a < rows; a++ {
			copy(tr[:n], t[a][:n])
			for b := 0; b < m && b < cols; b++ {
				v := comb(L[b], tr[:n])
				if k.Bias {
					v += bias[ch]
				}
				if k.ReLU && !(v > 0) {
					v = 0
				}
				at := doff + a*drow + b*dpix + ch
				if k.Acc {
					v = dst[at] + v
				}
				dst[at] = v
			}
		}
	}
}
