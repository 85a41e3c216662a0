/*
 * test.h — the test harness: cases registered by name, checks that report
 * file:line, and an exit status that is the verdict.
 *
 *   DN_TEST(parses_two_records) {
 *       DN_CHECK(n == 2);              // fails the case and returns
 *       DN_EXPECT_STR(key, "a b.mp4");  // fails the case and goes on
 *   }
 *
 * Each binary runs one case (`test_x CASE`) or all of them; CMake registers
 * every DN_TEST in a source as its own ctest test (dn_add_test_binary).
 * A case calls DN_SKIP("why") when a prerequisite is missing: exit code 77,
 * which ctest reports as skipped (SKIP_RETURN_CODE), never as passed.
 */
#ifndef DANCER_TEST_H
#define DANCER_TEST_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dancer/err.h"

typedef void dn_test_fn(void);

void dn_test_register(const char *name, dn_test_fn *fn);
void dn_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void dn_test_skip(const char *why);
bool dn_test_failed(void);

/* Test-time resources. Each returns NULL (and the caller skips) when absent. */
const char *dn_test_moto_endpoint(void); /* "http://127.0.0.1:PORT" of the shared local S3+SQS server */
const char *dn_test_data_dir(void);      /* tests/data in the source tree */
const char *dn_test_tmp_dir(void);       /* a fresh per-case directory under the build tree */

/* A unique lower-case name for buckets/queues: "<prefix>-<pid>-<counter>". */
const char *dn_test_unique_name(const char *prefix, char *buf, size_t len);

#define DN_TEST(name)                                                          \
    static void dn_test_case_##name(void);                                     \
    __attribute__((constructor)) static void dn_test_reg_##name(void)         \
    {                                                                          \
        dn_test_register(#name, dn_test_case_##name);                          \
    }                                                                          \
    static void dn_test_case_##name(void)

#define DN_SKIP(why)          \
    do {                      \
        dn_test_skip(why);    \
        return;               \
    } while (0)

/* DN_EXPECT*: record a failure and continue. DN_CHECK*: record and return
 * from the (void) test function. */
#define DN_EXPECT(cond) \
    ((cond) ? (void)0 : dn_test_fail(__FILE__, __LINE__, "expected: %s", #cond))
#define DN_CHECK(cond)                                                   \
    do {                                                                 \
        if (!(cond)) {                                                   \
            dn_test_fail(__FILE__, __LINE__, "check failed: %s", #cond); \
            return;                                                      \
        }                                                                \
    } while (0)

#define DN_EXPECT_INT(a, b)                                                              \
    do {                                                                                 \
        long long dn_a_ = (long long)(a), dn_b_ = (long long)(b);                        \
        if (dn_a_ != dn_b_)                                                              \
            dn_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, dn_a_, dn_b_); \
    } while (0)
/* Each argument is evaluated once: a call with side effects (an upload, a
 * send) must not run twice. */
#define DN_CHECK_INT(a, b)                                                                   \
    do {                                                                                     \
        long long dn_ca_ = (long long)(a), dn_cb_ = (long long)(b);                          \
        if (dn_ca_ != dn_cb_) {                                                              \
            dn_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, dn_ca_, dn_cb_); \
            return;                                                                          \
        }                                                                                    \
    } while (0)

#define DN_EXPECT_STR(a, b)                                                            \
    do {                                                                               \
        const char *dn_a_ = (a), *dn_b_ = (b);                                         \
        if (!dn_a_ || !dn_b_ || strcmp(dn_a_, dn_b_))                                  \
            dn_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,     \
                         dn_a_ ? dn_a_ : "(null)", dn_b_ ? dn_b_ : "(null)");          \
    } while (0)

/* |a - b| <= tol, and neither is NaN. */
#define DN_EXPECT_NEAR(a, b, tol)                                                      \
    do {                                                                               \
        double dn_a_ = (double)(a), dn_b_ = (double)(b);                               \
        if (!(fabs(dn_a_ - dn_b_) <= (double)(tol)))                                   \
            dn_test_fail(__FILE__, __LINE__, "%s ~ %s: %.9g vs %.9g (tol %g)", #a, #b, \
                         dn_a_, dn_b_, (double)(tol));                                 \
    } while (0)

static inline const char *dn_test_err_msg(const struct dn_err *err)
{
    return err ? err->msg : "";
}

/* Checks a dancer call returned 0, printing its error record otherwise. */
#define DN_CHECK_OK(call, errp)                                                      \
    do {                                                                             \
        int dn_rc_ = (call);                                                         \
        if (dn_rc_) {                                                                \
            dn_test_fail(__FILE__, __LINE__, "%s returned %d: %s", #call, dn_rc_,    \
                         dn_test_err_msg(errp));                                     \
            return;                                                                  \
        }                                                                            \
    } while (0)

#endif
