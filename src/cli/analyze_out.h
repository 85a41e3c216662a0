/* analyze_out.h — `dancer analyze`'s human summary and per-input file names. */
#ifndef DANCER_CLI_ANALYZE_OUT_H
#define DANCER_CLI_ANALYZE_OUT_H

#include <stddef.h>
#include <stdio.h>

struct cJSON;

/* The file name for input `index` of `n`: `pattern` itself for one input;
 * for several, "-<index + 1>" goes before the extension (lm.csv → lm-2.csv,
 * out → out-2). */
void dn_analyze_out_name(const char *pattern, size_t index, size_t n, char *out, size_t len);

/* The --pretty summary of one result document: the main numbers, "—" and
 * the reason for each one not measured, or the error. */
void dn_analyze_out_pretty(FILE *out, const struct cJSON *doc);

#endif
