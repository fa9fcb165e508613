package main

import (
	"os"
	"path/filepath"

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
results, so the cost report can read many machines from one file and still
price each on its own. A file given twice (by name or through a link) is
refused, as its samples would count double. OUT may be one of the inputs:
every input is read before OUT is replaced. The output is written
atomically; on any error it is not written at all.`,
		Example: `  benchrun merge -o all.txt zen5.txt spr.txt graviton.txt
  benchrun merge -o all.txt all.txt new-box.txt`,
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
			if fi, err := os.Stat(output); err == nil && fi.IsDir() {
				return usagef("-o %s is a directory: name the merged file", output)
			}
			if fi, err := os.Stat(filepath.Dir(output)); err != nil || !fi.IsDir() {
				return usagef("-o %s: no directory %s to write it in", output, filepath.Dir(output))
			}
			// A failure is the inputs' or -o's (unreadable, malformed,
			// given twice; a folder that cannot be written): exit 2.
			if err := results.Merge(output, args...); err != nil {
				return usageError{err}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the merged results file (required)")
	return cmd
}
