/* synth.h — a small graph that uses every op the engine knows, written as a
 * .dnm by the tests, plus its expected outputs computed with the naive ops.
 *
 *   x [1,6,6,4] → PAD 1 → CONV 3x3 s2 relu6 → a [1,3,3,8]
 *   a → DW 3x3 same → ADD(a, ·) relu → b [1,3,3,8]
 *   b → MAX_POOL 2x2 → p [1,2,2,8]                       (graph output 1)
 *   p → RESIZE 2x → DEPTH_TO_SPACE 2 → CONV 1x1 oc 3 → RESHAPE [1,192]
 *   b → LOGISTIC → RESHAPE [1,72]; CONCATENATION axis 1 → y [1,264] (output 0)
 */
#ifndef DANCER_TESTS_SYNTH_H
#define DANCER_TESTS_SYNTH_H

#include "dnm_writer.h"

#define SYNTH_IN (6 * 6 * 4)
#define SYNTH_OUT0 264
#define SYNTH_OUT1 (2 * 2 * 8)

/* Weights live in static storage; the builder fills b. Op indices of note. */
enum { SYNTH_OP_CONV = 1, SYNTH_OP_DW = 2, SYNTH_OP_RESHAPE = 8, SYNTH_OP_CONCAT = 11 };
void synth_build(struct dnmw *b);

/* Expected outputs for `batch` items of x (SYNTH_IN floats each). */
void synth_expect(const float *x, int batch, float *out0, float *out1);

#endif
