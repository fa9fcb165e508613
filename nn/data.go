package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/trainbench/trainbench/nn/mnist"
	"github.com/trainbench/trainbench/workload"
)

// Set is a labelled set of samples: Inputs holds len(Labels) samples one
// after the other, each the network's Input dimensions in NHWC order, already
// scaled (MNIST pixels to [0, 1]); Labels holds class indices.
//
// A set of token sequences, for a network that reads token ids (an
// embedding), has Tokens and SeqLen instead: sample i is the SeqLen ids
// Tokens[i·SeqLen : (i+1)·SeqLen] and its labels are the next tokens, the
// same window one further on; so (len(Tokens)−1)/SeqLen samples. Token ids
// stay int32, beside the float inputs rather than among them, because the
// embedding kernel indexes its table with them: a float would need a
// conversion every step and could hold a non-integer.
type Set struct {
	Inputs []float32
	Labels []int32
	Tokens []int32
	SeqLen int
}

// Len is the number of samples.
func (s Set) Len() int {
	if s.SeqLen > 0 {
		return max(len(s.Tokens)-1, 0) / s.SeqLen
	}
	return len(s.Labels)
}

// Slice returns samples [lo, hi) of s, sharing its memory; sample is the
// number of values per sample (a token set's are SeqLen ids).
func (s Set) Slice(lo, hi, sample int) Set {
	if s.SeqLen > 0 {
		return Set{Tokens: s.Tokens[lo*s.SeqLen : hi*s.SeqLen+1], SeqLen: s.SeqLen}
	}
	return Set{Inputs: s.Inputs[lo*sample : hi*sample], Labels: s.Labels[lo:hi]}
}

// fill copies samples [lo, lo+n) of s into m's input and labels.
func (s Set) fill(m *Model, lo, n int) {
	if s.SeqLen > 0 {
		ids, labels := m.Tokens(n)
		T := s.SeqLen
		copy(ids, s.Tokens[lo*T:(lo+n)*T])
		copy(labels, s.Tokens[lo*T+1:(lo+n)*T+1])
		return
	}
	x, labels := m.Input(n)
	copy(x, s.Inputs[lo*m.sample:(lo+n)*m.sample])
	copy(labels, s.Labels[lo:lo+n])
}

// Dataset is a training set and a test set.
type Dataset struct {
	Train, Test Set
}

// MNIST converts the MNIST sets read by package mnist (pixels already in
// [0, 1]) into a Dataset, sharing their memory.
func MNIST(train, test *mnist.Set) Dataset {
	return Dataset{
		Train: Set{Inputs: train.Images, Labels: train.Labels},
		Test:  Set{Inputs: test.Images, Labels: test.Labels},
	}
}

// LoadMNIST reads MNIST from dir, or from the copy in the GoMNIST module
// when dir is empty.
func LoadMNIST(dir string) (Dataset, error) {
	if dir == "" {
		d, err := mnist.ModuleDataDir()
		if err != nil {
			return Dataset{}, err
		}
		dir = d
	}
	train, test, err := mnist.Load(dir)
	if err != nil {
		return Dataset{}, err
	}
	return MNIST(train, test), nil
}

// check reports whether set fits net: whole samples, labels in range; for
// a sequence network, token sequences as long as its input, every id within
// the vocabulary of each embedding and within the classes of the loss.
func (s Set) check(name string, net workload.Network, classes int) error {
	n := net.Input.Len()
	if seqNet(net) || s.SeqLen > 0 {
		if s.SeqLen == 0 && len(s.Tokens) == 0 && len(s.Inputs) == 0 && len(s.Labels) == 0 {
			return nil // an empty set
		}
		if !seqNet(net) {
			return fmt.Errorf("nn: %s set: token sequences, but network %s does not read token ids", name, net.Name)
		}
		if s.SeqLen != n {
			return fmt.Errorf("nn: %s set: sequences of %d tokens, but network %s takes %d", name, s.SeqLen, net.Name, n)
		}
		return checkTokens(name, net, s.Tokens, classes)
	}
	if len(s.Inputs) != len(s.Labels)*n {
		return fmt.Errorf("nn: %s set: %d input values for %d labels, want %d per sample (%v)", name, len(s.Inputs), len(s.Labels), n, net.Input)
	}
	for i, l := range s.Labels {
		if l < 0 || int(l) >= classes {
			return fmt.Errorf("nn: %s set: label %d of sample %d outside [0, %d)", name, l, i, classes)
		}
	}
	return nil
}

// batcher hands out the minibatches of one epoch: a permutation of the
// training set drawn from the run's seed, gathered into a contiguous buffer.
type batcher struct {
	set    Set
	sample int // values per sample
	perm   []int32
	rng    *rand.Rand
}

func newBatcher(set Set, sample int, seed uint64) *batcher {
	b := &batcher{set: set, sample: sample, perm: make([]int32, set.Len()),
		rng: rand.New(rand.NewPCG(seed, 0x5348554646))} // "SHUFF"
	return b
}

// shuffle draws the next epoch's order.
func (b *batcher) shuffle() {
	for i := range b.perm {
		b.perm[i] = int32(i)
	}
	b.rng.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })
}

// gather copies the samples perm[lo:hi] into m's input and labels.
func (b *batcher) gather(lo, hi int, m *Model) {
	if T := b.set.SeqLen; T > 0 {
		ids, labels := m.Tokens(hi - lo)
		for i, p := range b.perm[lo:hi] {
			copy(ids[i*T:(i+1)*T], b.set.Tokens[int(p)*T:])
			copy(labels[i*T:(i+1)*T], b.set.Tokens[int(p)*T+1:])
		}
		return
	}
	x, labels := m.Input(hi - lo)
	for i, p := range b.perm[lo:hi] {
		copy(x[i*b.sample:(i+1)*b.sample], b.set.Inputs[int(p)*b.sample:(int(p)+1)*b.sample])
		labels[i] = b.set.Labels[p]
	}
}

// SyntheticSet returns n samples of per values each, uniform in [0, 1)
// from seed, with labels cycling through the classes: data of a network's
// shape for timing its training, whose step time does not depend on the
// values.
func SyntheticSet(n, per, classes int, seed uint64) Set {
	rng := rand.New(rand.NewPCG(seed, 0x53594e54)) // "SYNT"
	s := Set{Inputs: make([]float32, n*per), Labels: make([]int32, n)}
	for i := range s.Inputs {
		s.Inputs[i] = rng.Float32()
	}
	for i := range s.Labels {
		s.Labels[i] = int32(i % max(classes, 1))
	}
	return s
}
