/* log.c — JSON-lines / text logging (see include/dancer/log.h). */
#include "dancer/log.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum dn_log_format s_format = DN_LOG_JSON;
static enum dn_log_level s_min_level = DN_LOG_INFO;
static FILE *s_out; /* NULL means stderr, resolved at write time */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const s_level_names[] = {"debug", "info", "warn", "error"};

void dn_log_configure(enum dn_log_format format, enum dn_log_level min_level,
                      FILE *out)
{
    s_format = format;
    s_min_level = min_level;
    s_out = out;
}

int dn_log_format_parse(const char *s)
{
    if (!strcmp(s, "json"))
        return DN_LOG_JSON;
    if (!strcmp(s, "text"))
        return DN_LOG_TEXT;
    return -1;
}

int dn_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, s_level_names[i]))
            return i;
    if (!strcmp(s, "warning"))
        return DN_LOG_WARN;
    return -1;
}

/* RFC 3339 UTC with milliseconds: what CloudWatch and jq sort correctly. */
void dn_log_timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void s_write_line(const char *line)
{
    pthread_mutex_lock(&s_lock);
    FILE *out = s_out ? s_out : stderr;
    fputs(line, out);
    fputc('\n', out);
    fflush(out);
    pthread_mutex_unlock(&s_lock);
}

/* Text format: "TIME LEVEL msg key=value ..."; strings are printed bare
 * unless they contain spaces, then quoted as JSON strings. */
static char *s_format_text(const char *ts, enum dn_log_level level,
                           const char *msg, const cJSON *fields)
{
    size_t cap = strlen(msg) + 128, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    len = (size_t)snprintf(buf, cap, "%s %-5s %s", ts, s_level_names[level], msg);
    for (const cJSON *f = fields ? fields->child : NULL; f; f = f->next) {
        char *val = cJSON_IsString(f) && !strchr(f->valuestring, ' ')
                        ? strdup(f->valuestring)
                        : cJSON_PrintUnformatted(f);
        if (!val)
            continue;
        size_t need = len + strlen(f->string) + strlen(val) + 3;
        if (need > cap) {
            char *grown = realloc(buf, need * 2);
            if (!grown) {
                free(val);
                break;
            }
            buf = grown;
            cap = need * 2;
        }
        len += (size_t)snprintf(buf + len, cap - len, " %s=%s", f->string, val);
        free(val);
    }
    return buf;
}

void dn_log_event(enum dn_log_level level, const char *msg, cJSON *fields)
{
    if (level < s_min_level) {
        cJSON_Delete(fields);
        return;
    }
    char ts[40];
    dn_log_timestamp(ts, sizeof(ts));
    char *line = NULL;
    if (s_format == DN_LOG_TEXT) {
        line = s_format_text(ts, level, msg, fields);
        cJSON_Delete(fields);
    } else {
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "ts", ts);
        cJSON_AddStringToObject(doc, "level", s_level_names[level]);
        cJSON_AddStringToObject(doc, "msg", msg);
        if (fields) {
            /* Move the fields' members to the top level of the line. */
            while (fields->child) {
                cJSON *item = cJSON_DetachItemViaPointer(fields, fields->child);
                cJSON_AddItemToObject(doc, item->string, item);
            }
            cJSON_Delete(fields);
        }
        line = cJSON_PrintUnformatted(doc);
        cJSON_Delete(doc);
    }
    /* Out of memory while logging: say so rather than drop the event. */
    s_write_line(line ? line : msg);
    free(line);
}

void dn_logf(enum dn_log_level level, const char *fmt, ...)
{
    if (level < s_min_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dn_log_event(level, msg, NULL);
}

void dn_log_raw_json(cJSON *doc)
{
    char *line = cJSON_PrintUnformatted(doc);
    if (line)
        s_write_line(line);
    free(line);
    cJSON_Delete(doc);
}
