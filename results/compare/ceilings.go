package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
)

// ceilingShiftLimit is the move of a measured ceiling between two inputs
// above which compare says so: cases bound by that ceiling can move with
// it whatever the code does. Quiet runs of one build on the dev VM agree
// within about 3% on the FLOP peak; DRAM bandwidth moves more.
const ceilingShiftLimit = 0.05

// ceilingShifts returns a note for each input after the first whose machine
// ceilings (the one-thread FLOP peak of its best ISA level, one-thread DRAM
// copy bandwidth), as its run measured them, moved by more than
// ceilingShiftLimit from the first input's. Inputs without a profile, or of
// another machine, are skipped.
func ceilingShifts(ins []Input) []string {
	if len(ins) < 2 {
		return nil
	}
	base, ok := profileOf(ins[0])
	if !ok {
		return nil
	}
	var notes []string
	for _, in := range ins[1:] {
		p, ok := profileOf(in)
		if !ok || p.CPU != base.CPU {
			continue
		}
		var moved []string
		if a, ok := base.Peak(base.ISA, benchname.F32, 1); ok {
			if b, ok := p.Peak(base.ISA, benchname.F32, 1); ok && math.Abs(b/a-1) > ceilingShiftLimit {
				moved = append(moved, fmt.Sprintf("%s float32 peak %+.0f%%", base.ISA, (b/a-1)*100))
			}
		}
		if a, ok := base.Stream(machine.Copy, 1); ok {
			if b, ok := p.Stream(machine.Copy, 1); ok && math.Abs(b/a-1) > ceilingShiftLimit {
				moved = append(moved, fmt.Sprintf("DRAM copy bandwidth %+.0f%%", (b/a-1)*100))
			}
		}
		if len(moved) > 0 {
			notes = append(notes, fmt.Sprintf("%s against %s: the machine's measured ceilings moved (one thread: %s); cases bound by them can move as much without any change in the code",
				in.Label, ins[0].Label, strings.Join(moved, ", ")))
		}
	}
	return notes
}

// profileOf reads the machine profile from the configuration of in's first
// result.
func profileOf(in Input) (machine.Profile, bool) {
	if len(in.Results) == 0 {
		return machine.Profile{}, false
	}
	cfg := map[string]string{}
	for _, kv := range in.Results[0].Config {
		cfg[kv.Key] = kv.Value
	}
	p, err := machine.ParseProfile(cfg)
	if err != nil || p.ISA == "" {
		return machine.Profile{}, false
	}
	return p, true
}
