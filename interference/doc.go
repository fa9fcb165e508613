// Package interference tells when a benchmark run's numbers are not to be
// trusted: another process or the hypervisor took CPU time during the run,
// or the results themselves are physically implausible.
//
// A Source samples the machine's counters (Sampler reads /proc/stat,
// /proc/self/stat and /proc/loadavg, and the cpufreq governor and turbo
// state from /sys, under a root folder that tests point at recorded files);
// the caller takes a Sample before and after each group of cases. Detect
// then applies rules (DefaultThresholds states them) to those spans, to the
// machine's measured peaks and to the results, and returns Findings: flags
// with the numbers behind them, which ConfigLines writes into the results
// file and Parse reads back, Warnings for a person, and a one-line Summary
// for comparisons and reports. It measures nothing itself and runs no
// kernel, so the results format, the comparison and the report can read the
// findings without linking the code that measures (the anchors are pyperf's
// system checks and unstable-result warnings, Google Benchmark's CPU-scaling
// warning and load average, hyperfine's outlier warnings).
package interference
