package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/trainbench/trainbench/bench/runner"
)

// progress shows a run's progress on stderr: a progress bar with the case
// name, the count and an ETA on a terminal, one plain line per case
// otherwise (logs, CI, tests).
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar // nil when w is not a terminal
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (p *progress) event(e runner.Event) {
	if p.bar == nil && isTerminal(p.w) {
		p.bar = progressbar.NewOptions(e.Total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	if p.bar != nil {
		switch e.Kind {
		case runner.Start:
			p.bar.Describe(e.Case.Name())
		case runner.Skipped:
			p.bar.Clear()
			fmt.Fprintf(p.w, "benchrun: skipped %s: %v\n", e.Case.Name(), e.Err)
			p.bar.Add(1)
		case runner.Done:
			p.bar.Add(1)
		}
		return
	}
	switch e.Kind {
	case runner.Skipped:
		fmt.Fprintf(p.w, "benchrun: [%d/%d] skipped %s: %v\n", e.Index+1, e.Total, e.Case.Name(), e.Err)
	case runner.Done:
		eta := ""
		if left := e.Total - e.Index - 1; left > 0 {
			eta = fmt.Sprintf(" (%s left at this pace)", (e.Elapsed / time.Duration(e.Index+1) * time.Duration(left)).Round(time.Second))
		}
		fmt.Fprintf(p.w, "benchrun: [%d/%d] %s %s%s\n", e.Index+1, e.Total, e.Case.Name(), metricsLine(e), eta)
	}
}

// metricsLine is the headline metrics of a result: "135.2 GFLOP/s 49.3 %peak".
func metricsLine(e runner.Event) string {
	var parts []string
	for _, u := range []string{"GFLOP/s", "GB/s", "%peak"} {
		if v, ok := e.Result.Value(u); ok {
			parts = append(parts, fmt.Sprintf("%.4g %s", v, u))
		}
	}
	if len(parts) == 0 {
		if v, ok := e.Result.Value("ns/op"); ok {
			parts = append(parts, fmt.Sprintf("%.4g ns/op", v))
		}
	}
	return strings.Join(parts, " ")
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Clear()
	}
}
