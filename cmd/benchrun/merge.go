package main

import (
	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/results"
)

func newMergeCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "merge -o OUT FILE...",
		Short: "Combine results files (several machines, several runs) into one",
		Long: `merge reads results files (benchrun's or go test -bench output) and writes
all their results to one file, each input's configuration kept with its
results, so the cost report can read many machines from one file. The output
is written atomically; on any error it is not written at all.`,
		Example: `  benchrun merge -o all.txt zen5.txt spr.txt graviton.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("merge needs at least one results file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usagef("merge needs -o OUT")
			}
			rs, err := results.ReadFiles(args...)
			if err != nil {
				return usageError{err}
			}
			return results.WriteFile(output, rs)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the merged results file (required)")
	return cmd
}
