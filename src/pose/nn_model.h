/*
 * nn_model.h — the loaded .dnm graph as the executor sees it (private to
 * src/pose/nn_*.c). Everything here was validated by dn_nn_model_load, so the
 * planner and the runner index without checks.
 */
#ifndef DANCER_POSE_NN_MODEL_H
#define DANCER_POSE_NN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "dancer/nn.h"

#define DN_NN_MAX_OP_INPUTS 8
#define DN_NN_N_OPTS 16

/* Option slots (FORMAT.md "Ops"). */
enum {
    DN_NN_O_ACT = 0,
    DN_NN_O_PADDING = 1, DN_NN_O_STRIDE_H, DN_NN_O_STRIDE_W, DN_NN_O_DIL_H, DN_NN_O_DIL_W,
    DN_NN_O_KH, DN_NN_O_KW, DN_NN_O_PAD_T, DN_NN_O_PAD_B, DN_NN_O_PAD_L, DN_NN_O_PAD_R,
    DN_NN_O_DEPTH_MULT,
    DN_NN_O_AXIS = 1,    /* CONCATENATION */
    DN_NN_O_BLOCK = 1,   /* DEPTH_TO_SPACE */
    DN_NN_O_PADS = 1,    /* PAD: slots 1..8, before/after per dim */
    DN_NN_O_ALIGN = 1, DN_NN_O_HALF, DN_NN_O_OUT_H, DN_NN_O_OUT_W, /* RESIZE_BILINEAR */
};

enum { DN_NN_KIND_ACTIVATION = 0, DN_NN_KIND_CONSTANT = 1 };

struct dn_nn_tensor {
    const char *name;            /* inside the file buffer, NUL-terminated */
    int kind;                    /* DN_NN_KIND_* */
    int rank;
    int dims[DN_NN_MAX_RANK];
    size_t count;                /* elements (batch 1) */
    uint64_t data_off;           /* constants: absolute file offset */
    const float *data;           /* constants: inside the file buffer (64-aligned) */
    int src_index;
};

struct dn_nn_op {
    int code;
    int n_inputs;
    int inputs[DN_NN_MAX_OP_INPUTS]; /* -1 = absent (optional conv bias) */
    int output;
    int src_index;
    int opts[DN_NN_N_OPTS];
};

struct dn_nn_model {
    unsigned char *buf;          /* the whole file, 64-aligned; conv weights transposed in place */
    size_t size;
    char sha256[65];
    int n_tensors, n_ops, n_inputs, n_outputs;
    struct dn_nn_tensor *tensors;
    struct dn_nn_op *ops;
    int *inputs, *outputs;       /* tensor indices */
    uint64_t data_off, data_size; /* the data section (all constants), for one GPU upload */
};

#endif
