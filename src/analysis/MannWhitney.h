// MannWhitney.h — the Mann–Whitney U (Wilcoxon rank-sum) test of canary
// against baseline, with the Hodges–Lehmann shift and its confidence interval.
//
// U counts canary-above-baseline pairs (ties count 1/2), so U > m*n/2 means
// the canary tends to be slower. The test is the two-sided normal
// approximation with the tie-corrected variance
//   var U = m*n/12 * ((N+1) - sum(t^3 - t) / (N*(N-1)))
// (t = sizes of tied groups in the pooled data; for histograms a bucket is one
// tied group) and a continuity correction of 1/2 towards m*n/2.
//
// Shift model: on the log scale canary = baseline + s, i.e. canary latency =
// baseline latency * e^s. uShifted(s) is U of (canary - s) against baseline;
// it is non-increasing in s. The Hodges–Lehmann estimate solves
// U(s) = m*n/2 and the confidence interval inverts the test:
//   lower: (U(s) - m*n/2 - 1/2) / sigma = z,  upper: (U(s) - m*n/2 + 1/2) / sigma = -z
// with z = upper (1-confidence)/2 normal quantile (the classic distribution-
// free interval between order statistics of the pairwise differences, in its
// normal approximation). Histogram atoms are spread uniformly over their
// bucket when shifted, so the pair comparison becomes a probability
// (difference of two uniforms, approximated as triangular for unequal
// widths) — the interval is then resolved below the bucket width. Solved by
// bisection (at most 60 halvings, to 1e-7 on the log scale). Pure functions.
#pragma once

#include "analysis/LatencySample.h"

namespace ramp::analysis {

struct MannWhitneyResult {
  double m = 0, n = 0;        // canary and baseline sizes
  double u = 0;               // U of the canary
  double meanU = 0;           // m*n/2
  double sigma = 0;           // tie-corrected standard deviation of U
  double z = 0;               // continuity-corrected
  double p = 1;               // two-sided
  double cles = 0.5;          // U / (m*n): P(canary > baseline) + P(=)/2
  double confidence = 0;      // of the interval below
  double shiftLog = 0;        // Hodges–Lehmann estimate of s (log scale)
  double ciLowLog = 0;        // may be -inf (too few data)
  double ciHighLog = 0;       // may be +inf
};

class MannWhitney {
 public:
  // U of (canary shifted by -s) against baseline.
  static double uShifted(const LatencySample& canary, const LatencySample& baseline, double s);
  // Tie-corrected sigma of U for the pooled (unshifted) data.
  static double sigma(const LatencySample& canary, const LatencySample& baseline);
  // The full test. Both samples must be non-empty.
  static MannWhitneyResult test(const LatencySample& canary, const LatencySample& baseline,
                                double confidence);
};

}  // namespace ramp::analysis
