/* cmd_version.c — `dancer version`: what this binary is and what it can use. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <expat.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <openssl/crypto.h>
#include <stdio.h>

#include "cli.h"
#include "dn_git_commit.h" /* generated: DN_GIT_COMMIT */
#include "dancer/device.h"

static const char s_usage[] =
    "usage: dancer version [OPTIONS]\n"
    "Prints dancer's version, how it was built, the libraries it runs with and\n"
    "whether a usable GPU is present.\n\n" DN_CLI_COMMON_HELP;

static const struct option s_options[] = {
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

static void s_print_version3(const char *name, unsigned v)
{
    printf("  %-12s %u.%u.%u\n", name, v >> 16, (v >> 8) & 0xff, v & 0xff);
}

int dn_cmd_version(int argc, char **argv)
{
    struct dn_cli cli;
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "version", s_usage);
    while ((opt = getopt_long(argc, argv, "h", s_options, NULL)) != -1)
        if ((rc = dn_cli_common(&cli, opt, optarg)))
            return rc;
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind < argc)
        return dn_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);

    struct dn_device_info dev;
    dn_device_probe(&dev);
    printf("dancer %s (%s)\n", DN_VERSION, DN_GIT_COMMIT);
    printf("build: %s, CUDA kernels %s\n", DN_BUILD_TYPE,
           dev.built_with_cuda ? "yes (sm_" DN_CUDA_ARCHS ")" : "no");
    printf("libraries:\n");
    s_print_version3("libavformat", avformat_version());
    s_print_version3("libavcodec", avcodec_version());
    printf("  %-12s %s\n", "libcurl", curl_version_info(CURLVERSION_NOW)->version);
    printf("  %-12s %s\n", "OpenSSL", OpenSSL_version(OPENSSL_VERSION));
    printf("  %-12s %s\n", "cJSON", cJSON_Version());
    printf("  %-12s %s\n", "expat", XML_ExpatVersion());
    if (dev.usable)
        printf("device: %s (sm_%d%d, %zu MiB, %d SMs), driver %d, runtime %d\n", dev.name,
               dev.cc_major, dev.cc_minor, dev.total_mem_bytes >> 20, dev.multiprocessors,
               dev.driver_version, dev.runtime_version);
    else
        printf("device: CPU only (%s)\n", dev.reason);
    return DN_EXIT_OK;
}
