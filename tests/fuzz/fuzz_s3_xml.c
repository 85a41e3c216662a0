/* fuzz_s3_xml.c — libFuzzer target for the S3 XML parsers: every input
 * goes through the error, listing and notification parsers; a parsed
 * notification configuration must survive build → parse unchanged (the
 * property `dancer setup` relies on to keep other consumers' configurations). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dancer/s3.h"

static bool s_same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b)) || (!a && b && !*b) || (a && !b && !*a);
}

static void s_round_trip(const struct dn_s3_notification *n)
{
    struct dn_s3_notification again;
    struct dn_err err = {0};
    char *xml = NULL;
    if (dn_s3_xml_build_notification(n, &xml, &err))
        return; /* out of memory only */
    if (dn_s3_xml_parse_notification(xml, strlen(xml), &again, &err))
        abort();
    if (again.nqueues != n->nqueues || !s_same_str(again.xml_before, n->xml_before) ||
        !s_same_str(again.xml_after, n->xml_after))
        abort();
    for (size_t i = 0; i < n->nqueues; i++) {
        const struct dn_s3_queue_config *a = &n->queues[i], *b = &again.queues[i];
        if (!s_same_str(a->id, b->id) || !s_same_str(a->queue_arn, b->queue_arn) ||
            !s_same_str(a->prefix, b->prefix) || !s_same_str(a->suffix, b->suffix) ||
            a->nevents != b->nevents)
            abort();
        for (size_t k = 0; k < a->nevents; k++)
            if (strcmp(a->events[k], b->events[k]))
                abort();
    }
    dn_s3_notification_clean_up(&again);
    free(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *xml = (const char *)data;
    struct dn_s3_error e;
    struct dn_s3_list_page page = {0};
    struct dn_s3_notification n = {0};
    struct dn_err err = {0};
    if (!dn_s3_xml_parse_error(xml, size, &e) && !e.code[0])
        abort();
    if (!dn_s3_xml_parse_list(xml, size, &page, &err)) {
        for (size_t i = 0; i < page.n; i++)
            if (!page.items[i].key)
                abort();
        if (page.truncated && !page.next_token)
            abort();
    } else if (page.n || page.items) {
        abort();
    }
    dn_s3_list_page_clean_up(&page);
    if (!dn_s3_xml_parse_notification(xml, size, &n, &err))
        s_round_trip(&n);
    dn_s3_notification_clean_up(&n);
    return 0;
}
