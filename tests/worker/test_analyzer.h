/*
 * test_analyzer.h — the analyzer the worker tests run in place of the real
 * pipeline (compiled into tests only; the dancer binary never has it).
 *
 * Per job it streams the upload through the media stage's S3 source (so an
 * S3 fault between the worker and the server fails it as it would fail the
 * pipeline), probes and decodes every frame (so a corrupt upload fails with
 * the media stage's own error class), and
 * returns a result document with the real `video` section and `gait` null.
 * Jobs of a batch run on their own threads, finishing independently.
 *
 * Test controls:
 *   DN_TEST_ANALYZER_DELAY_MS   sleep this long per job (cancellable)
 *   x-amz-meta-test-delay-ms    the same for one upload (object metadata)
 *   DN_TEST_ANALYZER_LOG        append "bucket key etag\n" per analysis (once
 *                               past the delay) to this file, so tests can
 *                               count analyses across worker processes
 */
#ifndef DANCER_TEST_WORKER_ANALYZER_H
#define DANCER_TEST_WORKER_ANALYZER_H

#include "dancer/analyzer.h"

int dn_test_analyzer_new(const struct dn_config *cfg, struct dn_s3_client *s3,
                         struct dn_analyzer **out, struct dn_err *err);

#endif
