/* test_sigv4_smoke.c — the AWS documentation's get-vanilla example. */
#include <stdlib.h>

#include "dancer/creds.h"
#include "dancer/sigv4.h"
#include "test.h"

DN_TEST(get_vanilla)
{
    /* aws-sig-v4-test-suite/get-vanilla: GET / with host and x-amz-date,
     * credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1/service. */
    struct dn_sigv4_header h[] = {{"Host", "example.amazonaws.com"}};
    struct dn_sigv4_request req = {
        .method = "GET", .path = "/", .query = "", .headers = h, .nheaders = 1,
        .payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        .region = "us-east-1", .service = "service", .time = 1440938160,
    };
    struct dn_creds creds = {.access_key_id = "AKIDEXAMPLE",
                             .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    struct dn_sigv4_signed out;
    struct dn_err err = {0};
    DN_CHECK_OK(dn_sigv4_sign(&req, &creds, &out, &err), &err);
    DN_EXPECT_STR(out.amz_date, "20150830T123600Z");
    DN_EXPECT_STR(out.authorization,
                  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                  "SignedHeaders=host;x-amz-date, "
                  "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}
