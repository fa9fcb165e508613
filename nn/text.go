package nn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/trainbench/trainbench/workload"
)

// Real text without a download: the Go distribution's own source tree
// ($(go env GOROOT)/src, tens of MB on every machine that has Go), read as
// byte-level tokens: a token id is a byte's value, so the vocabulary is 256.
// (A GPT-2 BPE tokenizer is on the module proxy as
// github.com/pkoukk/tiktoken-go, but it fetches its vocabulary at run
// time; bytes need no vocabulary file and keep the reduced models' output
// layer small.)

// ByteVocab is the vocabulary of byte-level tokens.
const ByteVocab = 256

// DefaultCorpusDir is the Go distribution's source tree: GOROOT/src of the
// Go that built this program, or of the go command on PATH when that is
// not known.
func DefaultCorpusDir() string {
	root := runtime.GOROOT() //nolint:staticcheck // the build's GOROOT is what we want when it is known
	if root == "" {
		if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
			root = strings.TrimSpace(string(out))
		}
	}
	if root == "" {
		return ""
	}
	return filepath.Join(root, "src")
}

// ReadCorpus reads the .go files under dir in sorted path order (the
// order of filepath.WalkDir), concatenated, up to limit bytes (the last
// file cut), as byte-level token ids. It fails, naming dir, if dir is not a
// folder or holds no non-empty .go file.
func ReadCorpus(dir string, limit int) ([]int32, error) {
	if limit < 1 {
		return nil, fmt.Errorf("nn: corpus %s: a limit of %d bytes", dir, limit)
	}
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("nn: corpus folder %s does not exist", dir)
		}
		return nil, fmt.Errorf("nn: corpus folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("nn: corpus %s is not a folder", dir)
	}
	var tokens []int32
	errFull := errors.New("full")
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() && path != dir {
				return fs.SkipDir // an unreadable folder: skip it
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil // unreadable: skip it
		}
		b = b[:min(len(b), limit-len(tokens))]
		for _, c := range b {
			tokens = append(tokens, int32(c))
		}
		if len(tokens) >= limit {
			return errFull
		}
		return nil
	})
	if err != nil && err != errFull {
		return nil, fmt.Errorf("nn: corpus folder %s: %w", dir, err)
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("nn: corpus folder %s holds no .go text", dir)
	}
	return tokens, nil
}

// TextDataset splits a token stream into a training set and a held-out
// test set of sequences of seq tokens (each labelled with the next token
// at every position): the last heldOut fraction of the stream is the test
// set. It fails if either part is shorter than one sequence and its next
// token.
func TextDataset(tokens []int32, seq int, heldOut float64) (Dataset, error) {
	if seq < 1 {
		return Dataset{}, fmt.Errorf("nn: sequences of %d tokens", seq)
	}
	if !(heldOut >= 0 && heldOut < 1) {
		return Dataset{}, fmt.Errorf("nn: held-out fraction %v, want [0, 1)", heldOut)
	}
	cut := len(tokens) - int(heldOut*float64(len(tokens)))
	d := Dataset{Train: Set{Tokens: tokens[:cut], SeqLen: seq}, Test: Set{Tokens: tokens[cut:], SeqLen: seq}}
	if d.Train.Len() == 0 {
		return Dataset{}, fmt.Errorf("nn: %d training tokens make no sequence of %d and its next token", cut, seq)
	}
	if heldOut > 0 && d.Test.Len() == 0 {
		return Dataset{}, fmt.Errorf("nn: %d held-out tokens make no sequence of %d and its next token", len(tokens)-cut, seq)
	}
	return d, nil
}

// IsTokenNetwork reports whether net reads token ids (it has an embedding
// layer): it trains on token sets (Set.Tokens).
func IsTokenNetwork(net workload.Network) bool { return seqNet(net) }
