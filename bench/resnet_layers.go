package bench

import (
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// The families of ResNet-50's layers beyond the seed CNN's kinds:
// BatchNorm (pass=fwd, the training forward, and pass=bwd, every gradient
// at once), Add and GlobalAvgPool (pass=fwd and bwd-data), on the layers of
// workload.ResNet50 at batch 8 (ResNet50Batch), each named by
// benchname.LayerShapeName ("resnet50-imagenet.res2a.bn1"). Two sets: resnet50
// (default) holds a few representative layers, resnet50-all the rest, so
// that both together hold every layer of the kind. A batch norm is measured
// with the fusions nn gives it: followed by a ReLU, the ReLU; read by an add,
// the add and the ReLU after it (see resnetBatchNorm). The padded stem
// pool joins the MaxPool family as its resnet50 set. FLOPs and bytes come
// from package shape.

// ResNet50Batch is the batch size of the ResNet-50 layer sets.
const ResNet50Batch = 8

// resnetRepresentative are the layers of the resnet50 sets: the stem, and
// in each stage one block's layers (res2a, the first, has the projection;
// the others are identity blocks).
var resnetRepresentative = map[string]bool{
	"bn1": true, "res2a.bn1": true, "res2b.bn3": true, "res3b.bn2": true, "res4b.bn3": true, "res5b.bn1": true, "res5b.bn3": true,
	"res2b.add": true, "res3b.add": true, "res4b.add": true, "res5b.add": true,
	"avgpool": true, "pool1": true,
}

// resnetLayers are ResNet-50's layers at ResNet50Batch.
func resnetLayers() (string, []workload.Resolved) {
	net := workload.ResNet50()
	return net.Name, NetworkLayers(net, ResNet50Batch)
}

// resnetSet is the set of ResNet-50 layer name.
func resnetSet(name string) string {
	if resnetRepresentative[name] {
		return benchname.SetResNet50
	}
	return benchname.SetResNet50All
}

// resnetItems returns one pass's items of the ResNet-50 layers pick
// returns a shape for; op gives the pass and the operation for a shape.
func resnetItems[S passShape, F any](pick func(ls []workload.Resolved, i int) *S,
	op func(s S) (shape.Pass, func(ctx *kernels.Context, fn F) func())) []layerItem[F] {
	var items []layerItem[F]
	net, layers := resnetLayers()
	for i, l := range layers {
		s := pick(layers, i)
		if s == nil {
			continue
		}
		pass, fn := op(*s)
		items = append(items, layerItem[F]{pass: pass, shape: benchname.LayerShapeName(net, l.Name), set: resnetSet(l.Name),
			flops: (*s).FLOPs(pass), bytes: (*s).Bytes(pass), op: fn})
	}
	return items
}

// resnetBatchNorm is the batch-norm shape of layer i with the fusions nn
// plans for it (workload.FuseBatchNorms, which the cost model prices too):
// the ReLU that reads it alone, or the add that reads it and the ReLU after
// that add. In a projection block the add goes to the main branch's bn3,
// which comes first, and the projection's batch norm stays plain.
func resnetBatchNorm(ls []workload.Resolved, i int) *shape.BatchNorm {
	if ls[i].Kind != workload.BatchNorm {
		return nil
	}
	s := workload.FuseBatchNorms(ls)[i].Shape
	return &s
}

// elements is an element count with the formulas of an element-wise op
// for each pass.
type elements struct {
	n        int
	fwd, bwd shape.ElementwiseOp
}

func (e elements) FLOPs(p shape.Pass) float64 {
	if p == shape.Forward {
		return e.fwd.FLOPs(e.n)
	}
	return e.bwd.FLOPs(e.n)
}

func (e elements) Bytes(p shape.Pass) float64 {
	if p == shape.Forward {
		return e.fwd.Bytes(e.n)
	}
	return e.bwd.Bytes(e.n)
}

// resnetAdd is the add of layer i: the backward pass measured is the
// accumulating fan-out, the sum a fork's gradient needs.
func resnetAdd(ls []workload.Resolved, i int) *elements {
	if l := ls[i]; l.Kind == workload.Add {
		return &elements{n: l.Batch * l.Out.Len(), fwd: shape.OpAdd, bwd: shape.OpAddBwdAcc}
	}
	return nil
}

func resnetGAP(ls []workload.Resolved, i int) *shape.GlobalAvgPool {
	if l := ls[i]; l.Kind == workload.GlobalAvgPool {
		return &shape.GlobalAvgPool{N: l.Batch, H: l.In.H, W: l.In.W, C: l.In.C}
	}
	return nil
}

// resnetPool is the max-pool of layer i with its padding as the kernel
// takes it (the workload describes the padded input instead).
func resnetPool(ls []workload.Resolved, i int) *shape.Pool {
	if l := ls[i]; l.Kind == workload.MaxPool {
		s := *l.Pool
		s.H, s.W, s.Pad = l.In.H, l.In.W, l.Padding
		return &s
	}
	return nil
}

// newBatchNormState returns a state of C channels with unit scale and
// variance.
func newBatchNormState(c int) *kernels.BatchNormState {
	ones := func() []float32 {
		v := make([]float32, c)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	return &kernels.BatchNormState{Gamma: ones(), Beta: make([]float32, c), RunMean: make([]float32, c), RunVar: ones(),
		Mean: make([]float32, c), InvStd: make([]float32, c), DGamma: make([]float32, c), DBeta: make([]float32, c)}
}

func bnFwdOp(s shape.BatchNorm) (shape.Pass, func(*kernels.Context, kernels.BatchNormFwdFunc) func()) {
	return shape.Forward, func(ctx *kernels.Context, fn kernels.BatchNormFwdFunc) func() {
		x, y, st := filled(s.Len()), make([]float32, s.Len()), newBatchNormState(s.C)
		var res []float32
		if s.Residual {
			res = filled(s.Len())
		}
		return func() { fn(ctx, s, x, res, y, st) }
	}
}

func bnBwdOp(s shape.BatchNorm) (shape.Pass, func(*kernels.Context, kernels.BatchNormBwdFunc) func()) {
	return shape.Backward, func(ctx *kernels.Context, fn kernels.BatchNormBwdFunc) func() {
		x, y, st := filled(s.Len()), make([]float32, s.Len()), newBatchNormState(s.C)
		var res []float32
		g := kernels.BatchNormGrads{DY: filled(s.Len()), DX: make([]float32, s.Len())}
		if s.Residual {
			res, g.DRes = filled(s.Len()), make([]float32, s.Len())
		}
		ctx.BatchNormForward(s, x, res, y, st) // the statistics and output backward reads
		if s.ReLU {
			g.Y = y
		}
		return func() { fn(ctx, s, x, g, st) }
	}
}

func addFwdOp(e elements) (shape.Pass, func(*kernels.Context, kernels.AddFwdFunc) func()) {
	return shape.Forward, func(ctx *kernels.Context, fn kernels.AddFwdFunc) func() {
		a, b, y := filled(e.n), filled(e.n), make([]float32, e.n)
		return func() { fn(ctx, a, b, y) }
	}
}

func addBwdOp(e elements) (shape.Pass, func(*kernels.Context, kernels.AddBwdFunc) func()) {
	return shape.BackwardData, func(ctx *kernels.Context, fn kernels.AddBwdFunc) func() {
		dy, da, db := filled(e.n), make([]float32, e.n), make([]float32, e.n)
		return func() { fn(ctx, dy, da, db, true) }
	}
}

func gapFwdOp(s shape.GlobalAvgPool) (shape.Pass, func(*kernels.Context, kernels.GlobalAvgPoolFwdFunc) func()) {
	return shape.Forward, func(ctx *kernels.Context, fn kernels.GlobalAvgPoolFwdFunc) func() {
		x, y := filled(s.InputLen()), make([]float32, s.OutputLen())
		return func() { fn(ctx, s, x, y) }
	}
}

func gapBwdOp(s shape.GlobalAvgPool) (shape.Pass, func(*kernels.Context, kernels.GlobalAvgPoolBwdFunc) func()) {
	return shape.BackwardData, func(ctx *kernels.Context, fn kernels.GlobalAvgPoolBwdFunc) func() {
		dy, dx := filled(s.OutputLen()), make([]float32, s.InputLen())
		return func() { fn(ctx, s, dy, dx) }
	}
}

// registerResNetFamily registers a family of ResNet-50 layers with the
// resnet50 and resnet50-all sets, resnet50 by default.
func registerResNetFamily(name, doc string, cases ...func(opt Options) []Case) {
	registerFamily(name, doc, []string{benchname.SetResNet50, benchname.SetResNet50All}, []string{benchname.SetResNet50}, cases...)
}

func init() {
	registerResNetFamily(benchname.BatchNorm, "batch normalisation (NHWC, training): forward with running statistics and backward (dx, dγ, dβ), fused with ReLU or residual add + ReLU as in ResNet-50",
		func(opt Options) []Case {
			return layerCases(benchname.BatchNorm, kernels.BatchNormFwdImpls, resnetItems(resnetBatchNorm, bnFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.BatchNorm, kernels.BatchNormBwdImpls, resnetItems(resnetBatchNorm, bnBwdOp), opt)
		})
	registerResNetFamily(benchname.Add, "element-wise residual add and its accumulating gradient fan-out on ResNet-50's block ends",
		func(opt Options) []Case {
			return layerCases(benchname.Add, kernels.AddFwdImpls, resnetItems(resnetAdd, addFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.Add, kernels.AddBwdImpls, resnetItems(resnetAdd, addBwdOp), opt)
		})
	Register(Family{Name: benchname.GlobalAvgPool, Doc: "global average pooling (NHWC → N×C) forward and backward on ResNet-50's last feature map",
		Sets: []string{benchname.SetResNet50}, DefaultSets: []string{benchname.SetResNet50},
		Build: func(opt Options) []Case {
			return append(layerCases(benchname.GlobalAvgPool, kernels.GlobalAvgPoolFwdImpls, resnetItems(resnetGAP, gapFwdOp), opt),
				layerCases(benchname.GlobalAvgPool, kernels.GlobalAvgPoolBwdImpls, resnetItems(resnetGAP, gapBwdOp), opt)...)
		}})
}
