/* fuzz_sqs_json.c — libFuzzer target for the SQS response parsers
 * (ReceiveMessage, batch results, error bodies). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/sqs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    struct dn_sqs_messages m;
    struct dn_sqs_batch_result res;
    struct dn_err err = {0};
    const struct dn_sqs_entry entries[] = {{.id = "a"}, {.id = "b"}, {.id = "c"}};
    char code[64], msg[128];
    if (!dn_sqs_parse_receive(json, size, &m, &err)) {
        for (size_t i = 0; i < m.n; i++)
            if (!m.items[i].body || strlen(m.items[i].body) != m.items[i].body_len)
                abort();
    } else if (m.n || m.items) {
        abort();
    }
    dn_sqs_messages_clean_up(&m);
    if (!dn_sqs_parse_batch(json, size, entries, 3, &res, &err)) {
        size_t failed = 0;
        for (size_t i = 0; i < res.n; i++)
            failed += !res.entries[i].ok;
        if (res.n != 3 || failed != res.nfailed)
            abort();
    }
    dn_sqs_parse_error(json, size, code, sizeof(code), msg, sizeof(msg));
    return 0;
}
