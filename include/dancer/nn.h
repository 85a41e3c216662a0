/*
 * nn.h — the neural-network engine: loads a converted network (`.dnm`,
 * models/FORMAT.md) and runs it on a batch of inputs, on the CPU (the plain-C
 * reference kernels, kernels/ref/) or on the GPU (the CUDA kernels, kernels/).
 * No inference framework: every op is one of our kernels (include/dancer/nn_kernels.h).
 *
 *   struct dn_nn_model *m;  dn_nn_model_load("pose_landmark_full.dnm", &m, &err);
 *   struct dn_nn_runner *r; dn_nn_runner_new(m, 32, use_gpu, &r, &err);
 *   fill dn_nn_runner_input(r, 0) with n ≤ 32 NHWC items;
 *   dn_nn_runner_run(r, n, stream, &err);  (GPU: then dn_stream_sync)
 *   read dn_nn_runner_output(r, k): n items of dn_nn_model_output(m, k).count floats.
 *
 * Tensors are float32, dense, row-major, NHWC for rank 4; dim 0 is the batch.
 * Shapes reported by the model are for batch 1; a runner made for max_batch B
 * runs any batch 1..B by scaling dim 0 (FORMAT.md guarantees no op mixes
 * items), and item i of a buffer starts at i × count floats.
 *
 * Lifetimes and threads: a model is immutable once loaded, so any number of
 * threads may make runners from it and run them at once; it must outlive its
 * runners. A runner belongs to one thread at a time (it owns the activation
 * memory). Every pointer a query returns lives as long as its model/runner.
 *
 * Errors (struct dn_err, return 0 or DN_E(class)): DN_ERR_NOT_FOUND (no such
 * file), DN_ERR_BAD_INPUT (the file breaks FORMAT.md: message names the file,
 * the record and the rule), DN_ERR_UNSUPPORTED (valid file this engine cannot
 * run: unknown op code — the message names it —, a version ≠ 1, an unfusable
 * activation; or a GPU runner without a usable GPU), DN_ERR_RESOURCE (out of
 * host or GPU memory: transient), DN_ERR_INTERNAL (caller bug such as a batch
 * over max_batch, or a failed kernel launch).
 */
#ifndef DANCER_NN_H
#define DANCER_NN_H

#include <stdbool.h>
#include <stddef.h>

#include "dancer/device.h"
#include "dancer/err.h"

#ifdef __cplusplus
extern "C" { /* kernels/<op>.cu are C++ */
#endif

#define DN_NN_MAX_RANK 4

/* Op codes: TFLite's BuiltinOperator numbers (FORMAT.md "Ops"). RESHAPE runs
 * as an alias of its input's memory (no kernel, no copy). */
enum dn_nn_op_code {
    DN_NN_OP_ADD = 0,
    DN_NN_OP_CONCATENATION = 2,
    DN_NN_OP_CONV_2D = 3,
    DN_NN_OP_DEPTHWISE_CONV_2D = 4,
    DN_NN_OP_DEPTH_TO_SPACE = 5,
    DN_NN_OP_LOGISTIC = 14,
    DN_NN_OP_MAX_POOL_2D = 17,
    DN_NN_OP_RESHAPE = 22,
    DN_NN_OP_RESIZE_BILINEAR = 23,
    DN_NN_OP_PAD = 34,
};

/* Fused activations: TFLite's ActivationFunctionType numbers. */
enum dn_nn_act { DN_NN_ACT_NONE = 0, DN_NN_ACT_RELU = 1, DN_NN_ACT_RELU6 = 3 };

/* A graph input/output or an op output, as stored (batch 1). */
struct dn_nn_tensor_info {
    const char *name;          /* TFLite tensor name ("input_1", "Identity_1"); model-owned */
    int rank;                  /* 1..4 */
    int dims[DN_NN_MAX_RANK];  /* dims[0] == 1 (the batch); entries ≥ rank are 0 */
    size_t count;              /* floats per batch item = product of dims */
};

struct dn_nn_op_info {
    int code;                  /* enum dn_nn_op_code */
    const char *op_name;       /* "CONV_2D"; static */
    int src_index;             /* operator index in the source .tflite (debug tools) */
    struct dn_nn_tensor_info output;
};

/* ---- model: graph + weights, host memory ------------------------------- */

struct dn_nn_model;

/* Reads and validates the whole file (every check of FORMAT.md "Reading it
 * from C", plus the per-op shape and arity rules this engine relies on).
 * path: required. *out: set to the new model, or NULL on error; free it with
 * dn_nn_model_destroy. Errors: see the top of this file. */
int dn_nn_model_load(const char *path, struct dn_nn_model **out, struct dn_err *err);

/* Frees the model. NULL is a no-op. Every runner made from it must be gone. */
void dn_nn_model_destroy(struct dn_nn_model *m);

/* SHA-256 of the source .tflite (the result's model_sha256): 64 lowercase
 * hex characters, model-owned. */
const char *dn_nn_model_sha256(const struct dn_nn_model *m);

int dn_nn_model_n_inputs(const struct dn_nn_model *m);
int dn_nn_model_n_outputs(const struct dn_nn_model *m);
int dn_nn_model_n_ops(const struct dn_nn_model *m);

/* Graph input/output `index` (0 ≤ index < n_inputs / n_outputs, in TFLite
 * order; asserted) into *info. */
void dn_nn_model_input(const struct dn_nn_model *m, int index, struct dn_nn_tensor_info *info);
void dn_nn_model_output(const struct dn_nn_model *m, int index, struct dn_nn_tensor_info *info);

/* Index of the graph input/output with this TFLite name, or -1. */
int dn_nn_model_input_index(const struct dn_nn_model *m, const char *name);
int dn_nn_model_output_index(const struct dn_nn_model *m, const char *name);

/* Op `index` (0 ≤ index < n_ops, execution order; asserted) into *info. */
void dn_nn_model_op(const struct dn_nn_model *m, int index, struct dn_nn_op_info *info);

/* "CONV_2D" for a supported code, NULL otherwise. */
const char *dn_nn_op_name(int code);

/* ---- runner: activation memory + execution ----------------------------- */

struct dn_nn_runner;

/* Plans and allocates the activation memory for batches up to max_batch
 * (≥ 1) once: buffers are shared between tensors whose lifetimes do not
 * overlap, RESHAPE outputs alias their input; nothing is allocated per run.
 * use_gpu: the runner uploads the weights to the GPU (once, ~12 MB per pose
 * network) and keeps every activation there; DN_ERR_UNSUPPORTED when the
 * binary has no CUDA kernels or no GPU is usable (dn_device_probe says why).
 * m must outlive the runner. *out: the runner or NULL on error. */
int dn_nn_runner_new(const struct dn_nn_model *m, int max_batch, bool use_gpu,
                     struct dn_nn_runner **out, struct dn_err *err);

/* Frees the runner and its host/device memory. NULL is a no-op. On a GPU
 * runner, no run may still be in flight (sync its stream first). */
void dn_nn_runner_destroy(struct dn_nn_runner *r);

bool dn_nn_runner_on_gpu(const struct dn_nn_runner *r);
int dn_nn_runner_max_batch(const struct dn_nn_runner *r);

/* Activation memory in bytes (host or device) planned for max_batch. */
size_t dn_nn_runner_arena_bytes(const struct dn_nn_runner *r);

/* Graph input `index`'s buffer: max_batch × count floats, NHWC, to be filled
 * before a run. Host memory for a CPU runner, device memory for a GPU runner.
 * A run never writes it, so it keeps its contents until refilled. */
float *dn_nn_runner_input(struct dn_nn_runner *r, int index);

/* Graph output `index`'s buffer (max_batch × count floats; the first
 * batch × count are valid after a run). Host on CPU, device on GPU. */
const float *dn_nn_runner_output(const struct dn_nn_runner *r, int index);

/* Runs the graph on the first `batch` (1..max_batch) items of the inputs.
 * CPU: synchronous; `stream` is ignored (may be NULL); kernels use OpenMP
 * threads when built with it (OMP_NUM_THREADS; on a machine shared with
 * other busy threads set OMP_WAIT_POLICY=passive: spinning OpenMP barriers
 * collapse when a thread is descheduled). GPU: enqueues every kernel
 * on `stream` (NULL = the legacy default stream) and returns; outputs are
 * ready once the stream is synchronised; no host round trip in between.
 * Errors: DN_ERR_INTERNAL (batch out of range, kernel launch failure). */
int dn_nn_runner_run(struct dn_nn_runner *r, int batch, struct dn_stream *stream,
                     struct dn_err *err);

/* ---- debugging ---------------------------------------------------------- */

/* Called after op `op_index` with its output: batch × info->output.count
 * floats (host on CPU; device on GPU, the stream already synchronised). The
 * pointer is only valid during the call (later ops reuse the memory).
 * Return 0 to go on, non-zero to stop the run (it then returns that code). */
typedef int dn_nn_trace_fn(int op_index, const struct dn_nn_op_info *info, const float *out,
                           int batch, void *user_data);

/* dn_nn_runner_run that calls fn after every op; for per-layer comparison
 * tools (tests/pose/nn_layers.c), not for production (GPU: syncs each op). */
int dn_nn_runner_run_traced(struct dn_nn_runner *r, int batch, struct dn_stream *stream,
                            dn_nn_trace_fn *fn, void *user_data, struct dn_err *err);

#ifdef __cplusplus
}
#endif

#endif
