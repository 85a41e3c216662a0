/* aws_json.c — serialised cJSON parsing (see aws_json.h). */
#include "aws_json.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <pthread.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

struct cJSON *dn_aws_json_parse(const char *text, size_t len)
{
    const char *end = NULL;
    pthread_mutex_lock(&s_lock);
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    pthread_mutex_unlock(&s_lock);
    if (!root)
        return NULL;
    while (end && (size_t)(end - text) < len && isspace((unsigned char)*end))
        end++;
    if (!end || (size_t)(end - text) < len) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
