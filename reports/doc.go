// Package reports renders what the benchmarks and the cost model found into a
// folder a buyer can open in a browser or paste into a purchasing document:
// index.html, summary.md (the same tables, for terminals and pull requests)
// and one PNG per plot, drawn with gonum.org/v1/plot.
//
// The input is plain data in this package's own types (Input) and reports
// imports nothing else of trainbench: the caller converts the cost model's
// answers and the results files into it (cmd/benchrun does, in fromcost.go),
// and this package only sorts, selects and draws. Every modelled answer
// arrives finished (the scale-out curves, the cumulative cost of buying
// against renting, the fitted price trend); what the package computes itself
// is presentation (ordering, the Pareto frontier, where two given cost
// curves cross, the recommendations). Per workload it draws the price per
// epoch of each hardware option (rent on demand, spot, own, with intervals;
// measured options set apart from catalogued estimates), time against price
// with the Pareto frontier, the cumulative cost of buying against renting
// with the break-even points, the price per epoch against release year with
// the given trend and its halving time, and time and price against the
// number of machines. For the measured machine it
// draws thread scaling, the roofline (measured ceilings and every kernel
// shape) and the speed-up of each implementation and ISA level over the naive
// one. The page adds the machine profile, the recommendation for each
// workload (cheapest, fastest, best under the user's budget or deadline), the
// table behind every plot, the assumptions with their sources, and the
// command that reproduces the run.
//
// Write is deterministic (the same input gives byte-identical files; the
// generation time is an input, never read from the clock) and atomic: the
// report is built in a new folder and swapped in only when complete. Missing
// data never gives a blank image: a plot with nothing to show is a titled
// panel saying what is missing, and the page lists what the report lacks.
//
// testdata/example.json is an example input; render it with
//
//	go test ./reports -run TestExampleGolden -out /tmp/report
package reports
