/*
 * log.h — one log line per event on stderr: JSON objects by default (what
 * CloudWatch Logs Insights queries), or plain text for humans.
 *
 * Thread-safe: a line is formatted first and written with one fputs under a
 * lock, so lines from the heartbeat thread and the worker never interleave.
 * Never pass credentials, signatures or presigned URLs to these functions.
 */
#ifndef DANCER_LOG_H
#define DANCER_LOG_H

#include <stdio.h>

struct cJSON;

enum dn_log_level { DN_LOG_DEBUG, DN_LOG_INFO, DN_LOG_WARN, DN_LOG_ERROR };
enum dn_log_format { DN_LOG_JSON, DN_LOG_TEXT };

/* Sets format, minimum level and destination (NULL = stderr). Call once from
 * main before any thread starts; the defaults are JSON, info, stderr. */
void dn_log_configure(enum dn_log_format format, enum dn_log_level min_level,
                      FILE *out);

/* Parses "json"/"text" and "debug"/"info"/"warn"/"error"; -1 when unknown. */
int dn_log_format_parse(const char *s);
int dn_log_level_parse(const char *s);

/* Now as RFC 3339 UTC with milliseconds ("2026-11-29T20:41:07.123Z"), the
 * log lines' "ts"; buf needs 25 bytes. */
void dn_log_timestamp(char *buf, size_t len);

/* A plain message. */
void dn_logf(enum dn_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A message with structured fields. `fields` is a cJSON object or NULL; it
 * is consumed (deleted) by the call in every case. Its members become
 * top-level keys of the JSON line, or key=value pairs in text format. */
void dn_log_event(enum dn_log_level level, const char *msg, struct cJSON *fields);

/* Writes a prebuilt JSON document as one line, unchanged and regardless of
 * the level or format (CloudWatch embedded-metric-format lines must stay
 * JSON). `doc` is consumed. */
void dn_log_raw_json(struct cJSON *doc);

#endif
