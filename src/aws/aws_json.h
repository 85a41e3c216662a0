/*
 * aws_json.h — cJSON parsing shared by the SQS client and the S3 event
 * parser (private to src/aws). cJSON records the position of its last parse
 * error in a process-wide variable that every parse writes, so parses from
 * the worker and heartbeat threads are serialised here to stay race-free.
 */
#ifndef DANCER_AWS_JSON_H
#define DANCER_AWS_JSON_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* Parses text[0..len) (need not be NUL-terminated). NULL when it is not
 * exactly one JSON value (only whitespace may follow) or on OOM. */
struct cJSON *dn_aws_json_parse(const char *text, size_t len);

#endif
