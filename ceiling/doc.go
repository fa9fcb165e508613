// Package ceiling measures what this machine can do, so that every kernel
// result can be set against it (the Empirical Roofline Toolkit and
// likwid-bench are the models):
//
//   - peak FLOP/s per ISA level (generic, avx2, avx512), precision (f32,
//     f64) and thread count, from loops of independent FMA chains kept in
//     registers (PeakLoop, PeakRunner; generated assembly at avx2 and avx512,
//     plain Go at generic);
//   - memory bandwidth from STREAM copy and triad on float64 arrays with
//     ordinary stores (StreamRunner), on DRAM-sized arrays and in a
//     working-set sweep from L1-sized to DRAM-sized (SweepSizes) from which
//     the bandwidth of each cache level is read (CacheBandwidths);
//   - the running clock from a dependent integer add chain (MeasureClock) and
//     the datasheet peak, cores × clock × FLOP per cycle (DatasheetGFLOPS).
//
// Measure puts them in a machine.Profile (package machine holds the
// profile's types as data), which is written into results files as Go
// benchmark configuration lines (Profile.ConfigLines) and read back by the
// cost model (machine.ParseProfile):
//
//	p, err := ceiling.Measure(ceiling.Options{Quick: true})
//	for _, kv := range p.ConfigLines() {
//		fmt.Printf("%s: %s\n", kv.Key, kv.Value)
//	}
//
// Every measurement runs on all threads of a kernels.Context at once (its
// worker pool), each thread on its own data, and reports the best of a few
// timed runs: a ceiling is the fastest the machine went.
package ceiling
