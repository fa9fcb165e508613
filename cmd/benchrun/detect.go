package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

// detectJSON is what detect --json prints.
type detectJSON struct {
	Label   string          `json:"label"`                 // the default machine label
	Levels  []string        `json:"isa_levels"`            // usable ISA levels, lowest first
	BF16    bool            `json:"bf16"`                  // the AVX512_BF16 capability is usable
	NoBF16  string          `json:"bf16_reason,omitempty"` // why not, when it is not
	Profile machine.Profile `json:"profile"`               // CPU facts, and the ceilings when measured
}

func newDetectCmd() *cobra.Command {
	var asJSON bool
	var ceilings string
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Print the machine profile: CPU, caches, ISA levels (and measured ceilings with --ceilings)",
		Long: `detect prints the machine profile as the configuration lines a results file
starts with (cpu, cpu-vendor, cores, caches, isa-features, ...), the usable
ISA levels, whether the bfloat16 kernels can run (AVX512_BF16, and why not)
and the default machine label. With --ceilings quick (about 3 s)
or full (about 30 s) it measures the peak FLOP/s and memory bandwidths too.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, err := cpu.Detect()
			if err != nil {
				return err
			}
			if err := checkCeilings(ceilings); err != nil {
				return err
			}
			p := ceiling.FromInfo(info)
			if ceilings != ceilingsOff {
				if p, err = ceiling.Measure(ceiling.Options{Quick: ceilings == ceilingsQuick, Progress: prefixWriter{cmd.ErrOrStderr()}, Context: cmd.Context()}); err != nil {
					return err
				}
			}
			out := detectJSON{Label: ceiling.DefaultLabel(info), Profile: p}
			for _, l := range info.Levels() {
				out.Levels = append(out.Levels, l.String())
			}
			if err := info.CheckBF16(); err != nil {
				out.NoBF16 = err.Error()
			} else {
				out.BF16 = true
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(w, out)
			}
			for _, kv := range p.ConfigLines() {
				fmt.Fprintf(w, "%s: %s\n", kv.Key, kv.Value)
			}
			fmt.Fprintf(w, "isa-levels: %s\n", strings.Join(out.Levels, ","))
			if out.BF16 {
				fmt.Fprintf(w, "bf16: yes\n")
			} else {
				fmt.Fprintf(w, "bf16: no (%s)\n", out.NoBF16)
			}
			fmt.Fprintf(w, "%s: %s\n", results.KeyLabel, out.Label)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&ceilings, "ceilings", ceilingsOff, "measure the ceilings: off, quick or full")
	return cmd
}
