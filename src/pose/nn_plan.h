/* nn_plan.h — activation memory planning (private to src/pose). */
#ifndef DANCER_POSE_NN_PLAN_H
#define DANCER_POSE_NN_PLAN_H

#include <stddef.h>

#include "dancer/err.h"
#include "nn_model.h"

/* Fills offsets[t] (n_tensors entries, caller-owned) with the arena offset
 * of every activation, in floats per batch item (a multiple of 16), or
 * SIZE_MAX for constants and unused tensors; *total = arena floats per item.
 * Error: DN_ERR_RESOURCE. */
int dn_nn_plan_make(const struct dn_nn_model *m, size_t *offsets, size_t *total,
                    struct dn_err *err);

#endif
