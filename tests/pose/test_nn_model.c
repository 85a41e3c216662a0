/* test_nn_model.c — the .dnm loader: a synthetic graph written by the test,
 * the two real converted networks (skipped until models/fetch.sh has run),
 * and damaged copies of both, each rejected with the right class and a
 * message that says what is wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/nn.h"
#include "dnm_writer.h"
#include "nn_test_util.h"
#include "synth.h"
#include "test.h"

#define DETECTOR_SHA "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c"
#define LANDMARK_SHA "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f"

static unsigned char *s_slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*size = (size_t)ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc(*size)) && fread(buf, 1, *size, f) != *size) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

static void s_spit(const char *path, const void *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    DN_EXPECT(f && fwrite(buf, 1, size, f) == size);
    if (f)
        fclose(f);
}

static void s_put32(unsigned char *buf, size_t off, int32_t v)
{
    memcpy(buf + off, &v, 4);
}

static uint64_t s_get64(const unsigned char *buf, size_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, 8);
    return v;
}

/* Loading `path` fails with class `cls` and a message containing `needle`. */
static void s_expect_reject(const char *path, enum dn_err_class cls, const char *needle)
{
    struct dn_err err = {0};
    struct dn_nn_model *m = (struct dn_nn_model *)1;
    int rc = dn_nn_model_load(path, &m, &err);
    DN_EXPECT(m == NULL);
    if (rc != DN_E(cls) || !strstr(err.msg, needle))
        dn_test_fail(__FILE__, __LINE__, "want %s containing \"%s\", got rc %d: %s",
                     dn_err_class_name(cls), needle, rc, err.msg);
    DN_EXPECT(strstr(err.msg, path) != NULL); /* the message names the file */
}

/* The damage every copy gets checked against; `op`, `tensor`: records to hit. */
static void s_damage_suite(const char *src, int n_tensors, int op, const char *dir)
{
    size_t size;
    unsigned char *orig = s_slurp(src, &size), *buf = malloc(size);
    char path[4096];
    DN_CHECK(orig && buf);
    size_t ops_off = (size_t)s_get64(orig, 40), op_rec = ops_off + (size_t)op * 128;
    snprintf(path, sizeof(path), "%s/damaged.dnm", dir);
#define DAMAGE(edit, cls, needle)                 \
    do {                                          \
        memcpy(buf, orig, size);                  \
        edit;                                     \
        s_spit(path, buf, size);                  \
        s_expect_reject(path, cls, needle);       \
    } while (0)
    DAMAGE(memcpy(buf, "DNMODEX", 7), DN_ERR_BAD_INPUT, "magic");
    DAMAGE(s_put32(buf, 8, 2), DN_ERR_UNSUPPORTED, "version 2");
    DAMAGE(s_put32(buf, op_rec + 16, n_tensors + 7), DN_ERR_BAD_INPUT, "out of range");
    DAMAGE(s_put32(buf, op_rec, 18), DN_ERR_UNSUPPORTED, "unsupported op code 18 (MUL)");
    DAMAGE(s_put32(buf, op_rec + 64, 4), DN_ERR_UNSUPPORTED, "fused activation 4");
    DAMAGE(s_put32(buf, 128 + 16, 5), DN_ERR_BAD_INPUT, "rank 5");
    DAMAGE(s_put32(buf, 128 + 12, 1), DN_ERR_BAD_INPUT, "dtype 1");
    DAMAGE(buf[88] ^= 1, DN_ERR_BAD_INPUT, "truncated?");
#undef DAMAGE
    s_spit(path, orig, size - 64); /* truncated: the header's file_size disagrees */
    s_expect_reject(path, DN_ERR_BAD_INPUT, "truncated");
    s_spit(path, orig, 100);
    s_expect_reject(path, DN_ERR_BAD_INPUT, "shorter than the 128-byte header");
    free(orig);
    free(buf);
}

DN_TEST(synthetic_graph_loads)
{
    struct dnmw b;
    struct dn_err err = {0};
    struct dn_nn_model *m = NULL;
    struct dn_nn_tensor_info t;
    struct dn_nn_op_info op;
    char path[4096];
    synth_build(&b);
    snprintf(path, sizeof(path), "%s/synth.dnm", dn_test_tmp_dir());
    DN_CHECK(dnmw_write(&b, path) == 0);
    DN_CHECK_OK(dn_nn_model_load(path, &m, &err), &err);
    DN_EXPECT_STR(dn_nn_model_sha256(m), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    DN_EXPECT_INT(dn_nn_model_n_ops(m), b.n_ops);
    DN_EXPECT_INT(dn_nn_model_n_inputs(m), 1);
    DN_EXPECT_INT(dn_nn_model_n_outputs(m), 2);
    dn_nn_model_input(m, 0, &t);
    DN_EXPECT_STR(t.name, "x");
    DN_EXPECT(t.rank == 4 && t.dims[1] == 6 && t.dims[3] == 4 && t.count == SYNTH_IN);
    dn_nn_model_output(m, 0, &t);
    DN_EXPECT(t.rank == 2 && t.dims[0] == 1 && t.dims[1] == SYNTH_OUT0 && t.dims[2] == 0);
    DN_EXPECT_INT(dn_nn_model_output_index(m, "pool"), 1);
    DN_EXPECT_INT(dn_nn_model_output_index(m, "nope"), -1);
    DN_EXPECT_INT(dn_nn_model_input_index(m, "x"), 0);
    dn_nn_model_op(m, SYNTH_OP_CONCAT, &op);
    DN_EXPECT_STR(op.op_name, "CONCATENATION");
    DN_EXPECT_STR(op.output.name, "y");
    DN_EXPECT(dn_nn_op_name(99) == NULL);
    dn_nn_model_destroy(m);
    dn_nn_model_destroy(NULL);
}

DN_TEST(synthetic_damaged_copies_rejected)
{
    struct dnmw b;
    char path[4096];
    synth_build(&b);
    snprintf(path, sizeof(path), "%s/synth.dnm", dn_test_tmp_dir());
    DN_CHECK(dnmw_write(&b, path) == 0);
    s_damage_suite(path, b.n_tensors, SYNTH_OP_CONV, dn_test_tmp_dir());
}

/* Semantic rules, one edit of the synthetic graph each. */
DN_TEST(synthetic_bad_graphs_rejected)
{
    struct dnmw b;
    char path[4096];
    snprintf(path, sizeof(path), "%s/bad.dnm", dn_test_tmp_dir());
#define BAD(edit, cls, needle)                      \
    do {                                            \
        synth_build(&b);                            \
        edit;                                       \
        DN_CHECK(dnmw_write(&b, path) == 0);        \
        s_expect_reject(path, cls, needle);         \
    } while (0)
    BAD(b.ops[SYNTH_OP_CONV].opts[2] = 1, DN_ERR_BAD_INPUT, "options imply shape");
    BAD(b.ops[SYNTH_OP_DW].opts[6] = 5, DN_ERR_BAD_INPUT, "does not match kernel");
    BAD(b.ops[3].inputs[1] = b.ops[9].output, DN_ERR_BAD_INPUT, "used before it is produced");
    BAD(b.ops[SYNTH_OP_CONCAT].opts[1] = 0, DN_ERR_BAD_INPUT, "concatenation axis 0");
    BAD(b.ops[0].opts[1] = 1, DN_ERR_BAD_INPUT, "pads the batch dim");
    BAD(b.ops[SYNTH_OP_DW].output = b.ops[1].output, DN_ERR_BAD_INPUT, "not a fresh activation");
    BAD(b.tensors[0].dims[0] = 2, DN_ERR_BAD_INPUT, "batch dim 2");
    BAD((b.ops[3].n_inputs = 1, b.ops[3].inputs[1] = -1), DN_ERR_BAD_INPUT, "1 inputs, want 2..2");
    BAD(b.ops[0].opts[0] = 1, DN_ERR_UNSUPPORTED, "fused activation 1 on an op without one");
    BAD(b.outputs[1] = 2 /* the constant w1 */, DN_ERR_BAD_INPUT, "graph output 1 (tensor 2) is never produced");
#undef BAD
}

static void s_check_io(const struct dn_nn_model *m, int out, const char *name, int rank,
                       int d1, int d2, int d3)
{
    struct dn_nn_tensor_info t;
    dn_nn_model_output(m, out, &t);
    DN_EXPECT_STR(t.name, name);
    DN_EXPECT(t.rank == rank && t.dims[0] == 1 && t.dims[1] == d1 && t.dims[2] == d2 &&
              t.dims[3] == d3);
}

DN_TEST(real_models_load)
{
    char det[4096], lm[4096];
    struct dn_err err = {0};
    struct dn_nn_model *m = NULL;
    struct dn_nn_tensor_info t;
    if (!nn_test_model("pose_detection", det, sizeof(det)) || !nn_test_model("pose_landmark_full", lm, sizeof(lm)))
        DN_SKIP("models not fetched (models/fetch.sh)");
    DN_CHECK_OK(dn_nn_model_load(det, &m, &err), &err);
    DN_EXPECT_STR(dn_nn_model_sha256(m), DETECTOR_SHA);
    DN_EXPECT_INT(dn_nn_model_n_ops(m), 109);
    dn_nn_model_input(m, 0, &t);
    DN_EXPECT(!strcmp(t.name, "input_1") && t.dims[1] == 224 && t.dims[2] == 224 && t.dims[3] == 3);
    s_check_io(m, 0, "Identity", 3, 2254, 12, 0);
    s_check_io(m, 1, "Identity_1", 3, 2254, 1, 0);
    dn_nn_model_destroy(m);
    DN_CHECK_OK(dn_nn_model_load(lm, &m, &err), &err);
    DN_EXPECT_STR(dn_nn_model_sha256(m), LANDMARK_SHA);
    DN_EXPECT_INT(dn_nn_model_n_ops(m), 140);
    DN_EXPECT_INT(dn_nn_model_n_outputs(m), 5);
    s_check_io(m, 0, "Identity", 2, 195, 0, 0);
    s_check_io(m, 1, "Identity_1", 2, 1, 0, 0);
    s_check_io(m, 2, "Identity_2", 4, 256, 256, 1);
    s_check_io(m, 3, "Identity_3", 4, 64, 64, 39);
    s_check_io(m, 4, "Identity_4", 2, 117, 0, 0);
    dn_nn_model_destroy(m);
}

DN_TEST(real_damaged_copies_rejected)
{
    char det[4096];
    if (!nn_test_model("pose_detection", det, sizeof(det)))
        DN_SKIP("models not fetched (models/fetch.sh)");
    /* op 1 is the stem CONV_2D; 254 tensors (models/README.md). */
    s_damage_suite(det, 254, 1, dn_test_tmp_dir());
}

DN_TEST(missing_file)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/absent.dnm", dn_test_tmp_dir());
    s_expect_reject(path, DN_ERR_NOT_FOUND, "cannot open");
}
