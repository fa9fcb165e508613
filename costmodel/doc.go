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
//     treated as unknown; rental prices carry their market and are
//     compared within one (Assumptions.Market). Time per layer and pass is
//     a roofline: max(FLOPs / (peak × efficiency), bytes / (bandwidth ×
//     memory efficiency)), with the efficiency calibrated against
//     published training runs per workload class, accelerator family and
//     software stack (calibration.yaml, Calibration, Calibrate), and
//     element-wise traffic fused away on compiled and fused stacks. A
//     step takes the longer of the device's time and the host's (the
//     stack's framework cost and a launch per kernel); a step that does
//     not fit memory runs as micro-batches. The calibrated efficiency
//     range gives the interval. Owning is priced as the accelerator and
//     its host share, drawing the node's power.
//   - Measured: a machine with a results file in the Go benchmark format
//     (ReadResults, LoadResults). Time per layer and pass is the layer's
//     FLOPs over the measured GFLOP/s of the best implementation for that
//     shape (the benchmath confidence interval gives the bounds); a layer
//     whose kernel has a family of its own (batch norm, a transformer's
//     layer norm, GELU, attention, embedding, the softmax cross-entropy,
//     AdamW) is priced from that family's case at the kernel's shape as the
//     trainer runs it, fusions included; a shape
//     not measured is interpolated from the nearest measured shapes, and
//     layers no kernel family measures use a roofline of the machine's own
//     measured profile (peak and STREAM sweep). Each is said so.
//
// Entry points: Calibrate (every published anchor against its estimate),
// Compare (one workload on every option: the estimates and
// the finished answers a report draws), Estimate (every option, priced),
// Predict (this machine's epoch time from its results, which the end-to-end
// trainer checks against a real epoch), ScaleOut (N machines, ring
// all-reduce), CumulativeCost (owning against renting, month by month),
// PriceTrend (price per epoch across hardware generations), MeasuredOption
// (a measured machine as an option, priced per core like the nearest
// catalogued CPU instance when the user gives no price).
//
// The package hands out finished answers and knows nothing of reports:
// cmd/benchrun converts a Comparison into the report's own input types.
//
// How cmd/benchrun uses it:
//
//  1. Measure what the workload needs: bench.NeededShapes(w) gives the
//     conv shapes (for bench.Conv2DCases) and GEMMs (for bench.SgemmCases)
//     of w at its batch; run them, writing the machine profile
//     (machine.Profile.ConfigLines) as configuration lines before the
//     results.
//  2. Read them back: LoadResults(files...) or ReadResults(r, name).
//  3. Predict(w, results, threads, DefaultAssumptions()) is this machine's
//     epoch time with per-pass detail (what the trainer compares with a
//     real epoch). When the results hold a measured whole training step of
//     w (bench's TrainStep family, shape=<network>) at that thread count,
//     the step is that measurement and the sum of the kernels measured
//     alone is kept beside it (KernelStepSeconds): kernels benchmarked
//     alone run with warm caches and miss the trainer's own work. A step
//     measured at another batch or context (shape=<network>.b<batch>,
//     .t<tokens>b<batch>) is scaled by the ratio of the kernels' sums at
//     the two sizes (StepScale), the one nearest in size when there are
//     several: what a whole step adds to its kernels is taken to be the same
//     share at both.
//  4. LoadCatalog(userFiles...) is the embedded catalog plus the user's;
//     MeasuredOption(id, name, results, threads, LocalPrice{USDPerHour:
//     --price-per-hour, ...}, catalog) adds this machine as an option
//     (priced per core like the nearest catalogued CPU instance when no
//     price is given, which Measured.PriceNote and the estimate's PriceNote
//     say).
//  5. Compare(w, options, assumptions, DefaultInterconnect()) runs
//     Estimate, which gives one EpochEstimate per option:
//     Basis (measured or catalogued), EpochSeconds, OnDemand / Spot / Own
//     (dollars and epochs per dollar, nil when unpriced), EnergyKWh,
//     BreakEvenHours/Months, per-pass times with How and From (what was
//     measured, interpolated or rooflined), Sources (the catalog figures a
//     catalogued estimate used), Interpolated, Notes, and Unavailable (with
//     the reason) for options that cannot be estimated. Every Range is
//     Low ≤ Mid ≤ High and finite; the struct is JSON-ready.
//  6. From the estimates Compare chooses and draws the rest of the
//     Comparison: ScaleOut curves of the fastest measured option and the
//     cheapest and fastest rentable catalogued ones, BuyVsRent
//     (CumulativeCost) of the option cheapest to own over a horizon that
//     shows its break-even, and the headline-price Trend (PriceTrend with
//     PriceHeadline).
//
// Benchmark names the model reads (package benchname's schema, parsed with
// benchname.Parse): Family/pass=<p>/impl=<i>/isa=<l>/threads=<t>/shape=<name>
// with shape names from benchname.LayerShapeName ("seed-cnn.conv2") and
// passes fwd, bwd-data, bwd-weights or optimizer, from any kernel family
// (Conv2D today; a pooling or Adam family naming layers is picked up as it
// lands, with GFLOP/s or only sec/op); and
// Sgemm/impl=.../threads=<t>/m=<m>/n=<n>/k=<k> for dense layers. The fastest
// implementation and ISA level of each shape is used. Configuration lines of
// the file carry the machine profile (machine.Profile.ConfigLines).
//
// Precision: a case name with prec=bf16 (bf16 operands, float32 sums) is
// never pooled with the float32 cases of its shape. A measured machine is
// priced in f32 from its float32 cases and, when its results hold bf16
// conv or GEMM cases (Results.BF16Row), also in bf16 as the
// mixed-precision trainer runs a step (MeasuredPrecisionOption,
// PredictPrecision): conv, dense and GEMM passes from the bf16 cases, the
// rest from the float32 ones. That row compares like for like with the
// catalogued accelerators at bf16 (LikeForLike says which rows pair).
//
// The model reads data only: it links no benchmark, kernel or measuring
// code (internal/layering checks it), so pricing an epoch runs nothing.
package costmodel
