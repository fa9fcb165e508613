// Package costmodel answers "what does one epoch of my model cost on each
// option I can rent or buy?": seconds, dollars and kWh per epoch, with low
// and high bounds, for machines we measured and for hardware we can only
// look up.
//
// Two kinds of option:
//
//   - Catalogued: an Option of the hardware catalog (the embedded
//     catalog.yaml, which users override or extend with LoadCatalog). Every
//     number carries its source and date, or is marked unsourced and then
//     treated as unknown. Time per layer and pass is a roofline:
//     max(FLOPs / (peak × efficiency), bytes / (bandwidth × memory
//     efficiency)), plus a launch overhead per layer pass on accelerators
//     and a per-step overhead (Assumptions). The efficiency range of the
//     option (low, mid, high) gives the interval.
//   - Measured: a machine with a results file in the Go benchmark format
//     (ReadResults, LoadResults). Time per layer and pass is the layer's
//     FLOPs over the measured GFLOP/s of the best implementation for that
//     shape (the benchmath confidence interval gives the bounds); a shape
//     not measured is interpolated from the nearest measured shapes, and
//     layers no kernel family measures use a roofline of the machine's own
//     measured profile (peak and STREAM sweep). Each is said so.
//
// Entry points: Estimate (every option, priced), Predict (this machine's
// epoch time from its results, which the end-to-end trainer checks against a
// real epoch), ScaleOut (N machines, ring all-reduce), PriceTrend (price per
// epoch across hardware generations), MeasuredOption (a measured machine as
// an option, priced per core like the nearest catalogued CPU instance when
// the user gives no price).
//
// Benchmark names the model reads: Kernel/pass=<p>/impl=<i>/isa=<l>/
// threads=<t>/shape=<name> with shape names from bench.LayerShapeName
// ("seed-cnn.conv2"), and Sgemm/impl=.../threads=<t>/m=<m>/n=<n>/k=<k> for
// dense layers. Configuration lines of the file carry the machine profile
// (ceiling.Profile.ConfigLines).
package costmodel
