package workload

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// checkField fails unless err is a one-line *FieldError whose path is field.
func checkField(t *testing.T, what string, err error, field string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Errorf("%s: error %v, want one naming %s", what, err, field)
		return
	}
	if fe.Field != field {
		t.Errorf("%s: error %q names %q, want %q", what, err, fe.Field, field)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("%s: error %q is more than one line", what, err)
	}
}

// TestValidateRefusesAbsurdNumbers changes one field of a built-in network at
// a time to a value that is NaN, infinite, negative or out of its range; each
// used to be accepted (Adam's beta1 of 7, a negative epsilon, a batch larger
// than the dataset, NaN momentum).
func TestValidateRefusesAbsurdNumbers(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	adam := func(f func(n *Network)) Network { n := SeedCNN(); f(&n); return n }
	sgd := func(f func(n *Network)) Network {
		n := SeedCNN()
		n.Optimizer = Optimizer{Name: "sgd", LR: 0.1, Momentum: 0.9}
		f(&n)
		return n
	}
	sched := func(s Schedule) Network {
		return sgd(func(n *Network) { n.Optimizer.Schedule = &s })
	}
	for _, c := range []struct {
		name  string
		n     Network
		field string
	}{
		{"batch over the dataset", adam(func(n *Network) { n.Batch, n.Samples = 64, 50 }), "batch"},
		{"negative classes", adam(func(n *Network) { n.Classes = -1 }), "classes"},
		{"zero input height", adam(func(n *Network) { n.Input.H = 0 }), "input.h"},
		{"negative input channels", adam(func(n *Network) { n.Input.C = -3 }), "input.c"},
		{"lr NaN", adam(func(n *Network) { n.Optimizer.LR = nan }), "optimizer.lr"},
		{"lr Inf", adam(func(n *Network) { n.Optimizer.LR = inf }), "optimizer.lr"},
		{"lr beyond float32", adam(func(n *Network) { n.Optimizer.LR = 1e300 }), "optimizer.lr"},
		{"lr negative", sgd(func(n *Network) { n.Optimizer.LR = -0.1 }), "optimizer.lr"},
		{"beta1 of 7", adam(func(n *Network) { n.Optimizer.Beta1 = 7 }), "optimizer.beta1"},
		{"beta1 NaN", adam(func(n *Network) { n.Optimizer.Beta1 = nan }), "optimizer.beta1"},
		{"beta2 of 1", adam(func(n *Network) { n.Optimizer.Beta2 = 1 }), "optimizer.beta2"},
		{"negative epsilon", adam(func(n *Network) { n.Optimizer.Epsilon = -1e-8 }), "optimizer.epsilon"},
		{"infinite epsilon", adam(func(n *Network) { n.Optimizer.Epsilon = inf }), "optimizer.epsilon"},
		{"momentum for adam", adam(func(n *Network) { n.Optimizer.Momentum = 0.9 }), "optimizer.momentum"},
		{"weight decay for adam", adam(func(n *Network) { n.Optimizer.Decay = 0.1 }), "optimizer.weight_decay"},
		{"negative weight decay", adam(func(n *Network) { n.Optimizer.Name, n.Optimizer.Decay = "adamw", -0.1 }), "optimizer.weight_decay"},
		{"momentum NaN", sgd(func(n *Network) { n.Optimizer.Momentum = nan }), "optimizer.momentum"},
		{"momentum of 1", sgd(func(n *Network) { n.Optimizer.Momentum = 1 }), "optimizer.momentum"},
		{"beta1 for sgd", sgd(func(n *Network) { n.Optimizer.Beta1 = 0.9 }), "optimizer.beta1"},
		{"unknown schedule", sched(Schedule{Kind: "linear"}), "optimizer.schedule.kind"},
		{"schedule without kind", sched(Schedule{WarmupEpochs: 1}), "optimizer.schedule.kind"},
		{"negative warm-up", sched(Schedule{Kind: "cosine", WarmupEpochs: -1}), "optimizer.schedule.warmup_epochs"},
		{"NaN warm-up", sched(Schedule{Kind: "constant", WarmupEpochs: nan}), "optimizer.schedule.warmup_epochs"},
		{"cosine min_lr at lr", sched(Schedule{Kind: "cosine", MinLR: 0.1}), "optimizer.schedule.min_lr"},
		{"cosine min_lr NaN", sched(Schedule{Kind: "cosine", MinLR: nan}), "optimizer.schedule.min_lr"},
		{"every for cosine", sched(Schedule{Kind: "cosine", Every: 1}), "optimizer.schedule.every"},
		{"min_lr for step", sched(Schedule{Kind: "step", Every: 1, Gamma: 0.1, MinLR: 0.01}), "optimizer.schedule.min_lr"},
		{"step without every", sched(Schedule{Kind: "step", Gamma: 0.1}), "optimizer.schedule.every"},
		{"step every Inf", sched(Schedule{Kind: "step", Every: inf, Gamma: 0.1}), "optimizer.schedule.every"},
		{"step without gamma", sched(Schedule{Kind: "step", Every: 1}), "optimizer.schedule.gamma"},
		{"step gamma of 1", sched(Schedule{Kind: "step", Every: 1, Gamma: 1}), "optimizer.schedule.gamma"},
		{"negative units on relu", adam(func(n *Network) { n.Layers[1].Units = -1 }), "layers[1].units"},
		{"negative heads on conv", adam(func(n *Network) { n.Layers[0].Heads = -5 }), "layers[0].heads"},
		{"negative padding", adam(func(n *Network) { n.Layers[2].Padding = -1 }), "layers[2].padding"},
	} {
		checkField(t, c.name, c.n.Validate(), c.field)
	}
	for _, name := range Builtins() {
		if n, err := Builtin(name); err != nil || n.Validate() != nil {
			t.Errorf("built-in %s: %v", name, err)
		}
	}
}

// TestResolveRefusesOverflow gives networks sizes whose products overflow an
// int. They used to resolve with wrapped sizes: a dense layer of 2⁵⁸ units on
// the seed CNN's 1600 inputs had 0 weights (1600·2⁵⁸ is 0 in 64 bits), and
// such networks were priced at milliseconds an epoch.
func TestResolveRefusesOverflow(t *testing.T) {
	seed := func(f func(n *Network)) Network { n := SeedCNN(); f(&n); return n }
	tiny := func(layers ...Layer) Network {
		return Network{Name: "t", Input: Dims{1, 8, 1}, Batch: 1, Samples: 1, Layers: layers,
			Optimizer: Optimizer{Name: "sgd", LR: 0.1}}
	}
	for _, c := range []struct {
		name  string
		n     Network
		field string
	}{
		{"dense weights wrap to 0", seed(func(n *Network) { n.Layers[7].Units = 1 << 58 }), "layers[7].units"},
		{"dense units", seed(func(n *Network) { n.Layers[7].Units = math.MaxInt }), "layers[7].units"},
		{"conv filters", seed(func(n *Network) { n.Layers[0].Filters = 1 << 60 }), "layers[0].filters"},
		{"conv padding", seed(func(n *Network) { n.Layers[0].Padding = math.MaxInt / 2 }), "layers[0].padding"},
		{"pool padding", seed(func(n *Network) { n.Layers[2].Kernel, n.Layers[2].Padding = math.MaxInt, math.MaxInt/2 }), "layers[2].padding"},
		{"input", seed(func(n *Network) { n.Input = Dims{1 << 20, 1 << 20, 1 << 20} }), "input"},
		{"embedding", tiny(Layer{Kind: Embedding, Vocab: 1 << 62, Units: 4}), "layers[0].vocab"},
		{"attention heads", tiny(Layer{Kind: Linear, Units: 6}, Layer{Kind: Attention, Heads: math.MaxInt}), "layers[1].heads"},
		{"flatten of a huge output", Network{Name: "t", Input: Dims{1 << 21, 1 << 21, 1}, Batch: 1, Samples: 1,
			Optimizer: Optimizer{Name: "sgd", LR: 0.1}, Layers: []Layer{{Kind: Conv2D, Filters: 1 << 20, Kernel: 1}}}, "layers[0].filters"},
		{"parameters in all", Network{Name: "t", Input: Dims{1, 1, 1 << 30}, Batch: 1, Samples: 1,
			Optimizer: Optimizer{Name: "sgd", LR: 0.1}, Layers: []Layer{
				{Kind: Dense, Units: 1<<31 - 1, NoBias: true}, {Kind: Dense, Units: 1 << 30, NoBias: true}}}, "layers[1]"},
	} {
		_, err := c.n.Resolve(c.n.Batch)
		checkField(t, c.name, err, c.field)
		if _, err := c.n.Step(c.n.Batch); err == nil {
			t.Errorf("%s: Step counted the work of a network that overflows", c.name)
		}
	}
}

// TestParseRefusesFractionalIntegers: the YAML decoder truncated "units:
// 12.5" to 12; safeyaml refuses it at its line and path, and a whole number
// written as a float stays accepted.
func TestParseRefusesFractionalIntegers(t *testing.T) {
	base := `name: f
input: {h: 28, w: 28, c: 1}
batch: 32
samples: 60000
optimizer: {name: adam, lr: 0.001}
layers:
  - {name: flatten, kind: flatten}
  - name: fc
    kind: dense
    units: 10
  - {name: loss, kind: softmax-ce}
`
	for _, c := range []struct{ old, new, want string }{
		{"units: 10", "units: 12.5", `f.yaml:10: layers[1].units: "12.5" is not an integer`},
		{"batch: 32", "batch: 32.5", `f.yaml:3: batch: "32.5" is not an integer`},
		{"h: 28,", "h: 2.55e1,", `f.yaml:2: input.h: "2.55e1" is not an integer`},
		{"samples: 60000", "samples: 6.00001e4", `f.yaml:4: samples: "6.00001e4" is not an integer`},
	} {
		if _, err := Parse("f.yaml", []byte(strings.Replace(base, c.old, c.new, 1))); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "f.yaml") {
			t.Errorf("%s: error %v, want one naming f.yaml and saying %q", c.new, err, c.want)
		}
	}
	n, err := Parse("f.yaml", []byte(strings.Replace(strings.Replace(base, "units: 10", "units: 10.0", 1), "samples: 60000", "samples: 6e4", 1)))
	if err != nil || n.Layers[1].Units != 10 || n.Samples != 60000 {
		t.Errorf("whole numbers written as floats: %+v, %v", n, err)
	}
	js := `{"name": "j", "input": {"h": 4, "w": 4, "c": 1}, "batch": 2, "samples": 10,
  "optimizer": {"name": "sgd", "lr": 0.1},
  "layers": [{"name": "fc", "kind": "dense", "units": 3.5}, {"name": "loss", "kind": "softmax-ce"}]}`
	if _, err := Parse("net.json", []byte(js)); err == nil || !strings.Contains(err.Error(), `net.json:3: layers[0].units: "3.5" is not an integer`) {
		t.Errorf("JSON units 3.5: error %v", err)
	}
}

// TestSGDWeightDecay: sgd takes an L2 weight decay (the ResNet recipe);
// out of range it is refused like adamw's.
func TestSGDWeightDecay(t *testing.T) {
	n := SeedCNN()
	n.Optimizer = Optimizer{Name: "sgd", LR: 0.1, Momentum: 0.9, Decay: 1e-4}
	if err := n.Validate(); err != nil {
		t.Errorf("sgd with weight_decay 1e-4: %v", err)
	}
	n.Optimizer.Decay = 1
	checkField(t, "sgd weight decay of 1", n.Validate(), "optimizer.weight_decay")
}

// TestScheduleFactor checks each kind's multiplier against its definition at
// chosen steps: the warm-up's linear ramp from 1%, the cosine's ends and
// middle, the step decay's jumps, and nil as constant.
func TestScheduleFactor(t *testing.T) {
	const lr, total, perEpoch = 0.1, 1000, 100 // 10 epochs of 100 steps
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: factor %v, want %v", what, got, want)
		}
	}
	var none *Schedule
	near("nil", none.Factor(lr, 500, total, perEpoch), 1)
	warm := &Schedule{Kind: ScheduleConstant, WarmupEpochs: 0.5} // 50 steps
	near("warm-up start", warm.Factor(lr, 0, total, perEpoch), 0.01)
	near("warm-up middle", warm.Factor(lr, 25, total, perEpoch), 0.01+0.99*0.5)
	near("after warm-up", warm.Factor(lr, 50, total, perEpoch), 1)
	near("constant at the end", warm.Factor(lr, 999, total, perEpoch), 1)
	// 100 warm-up steps, then 901 from 1 down to min_lr/lr = 0.1.
	cos := &Schedule{Kind: ScheduleCosine, WarmupEpochs: 1, MinLR: 0.01}
	near("cosine after warm-up", cos.Factor(lr, 100, total+1, perEpoch), 1)
	near("cosine middle", cos.Factor(lr, 550, total+1, perEpoch), 0.1+0.9*0.5)
	near("cosine quarter", cos.Factor(lr, 325, total+1, perEpoch), 0.1+0.9*0.5*(1+math.Sqrt(0.5)))
	near("cosine end", cos.Factor(lr, 1000, total+1, perEpoch), 0.1)
	step := &Schedule{Kind: ScheduleStep, Every: 3, Gamma: 0.1}
	near("step epoch 0", step.Factor(lr, 0, total, perEpoch), 1)
	near("step epoch 2.99", step.Factor(lr, 299, total, perEpoch), 1)
	near("step epoch 3", step.Factor(lr, 300, total, perEpoch), 0.1)
	near("step epoch 9", step.Factor(lr, 900, total, perEpoch), 0.001)
}
