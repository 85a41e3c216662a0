/* nn_check.h — graph-level validation of a parsed .dnm (private to src/pose). */
#ifndef DANCER_POSE_NN_CHECK_H
#define DANCER_POSE_NN_CHECK_H

#include "dancer/err.h"
#include "nn_model.h"

/* Every op: known code, arity, operand kinds, execution order, options
 * consistent with the stored shapes, batch dim 1. The records themselves
 * (index ranges, sizes) were checked by the parser. DN_ERR_BAD_INPUT or
 * DN_ERR_UNSUPPORTED, the message naming the op. */
int dn_nn_check_graph(const struct dn_nn_model *m, struct dn_err *err);

#endif
