/* cmd_analyze.c — `dancer analyze`: the pipeline on local files or s3:// URLs. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze_out.h"
#include "dancer/pipeline.h"
#include "dancer/worker.h"

static const char s_usage[] =
    "usage: dancer analyze [OPTIONS] INPUT...\n"
    "Analyses gait videos and prints one JSON result per INPUT (JSON Lines, in\n"
    "the order of the inputs). INPUT is a local path or s3://bucket/key. Needs\n"
    "no AWS configuration for local files.\n\n"
    "Options:\n"
    "  --device auto|cpu|gpu       where pose and gait kernels run [DANCER_DEVICE]\n"
    "  --decoder auto|cpu|gpu      video decoder: NVDEC or software [DANCER_DECODER]\n"
    "  --subject-height-cm H       subject height (50..250), gives lengths in metres;\n"
    "                              default: the S3 object's x-amz-meta-subject-height-cm\n"
    "  -o, --output FILE           write the JSON results to FILE instead of stdout\n"
    "  --landmarks-csv FILE        write the per-frame pose track as CSV\n"
    "  --svg FILE, --report FILE   write the SVG gait report (joint angles over the cycle)\n"
    "  --pretty                    a short human summary on stdout instead of JSON\n"
    "                              (JSON still goes to -o FILE when given)\n"
    "With several inputs, the files of --landmarks-csv, --svg get the input's\n"
    "number before the extension: lm.csv -> lm-1.csv, lm-2.csv, ...\n"
    "Exit status: 0 every input analysed, 1 any input failed (its error result\n"
    "is printed all the same), 2 usage or configuration error.\n" DN_CLI_COMMON_HELP;

enum { OPT_DEVICE = DN_OPT_FIRST_FREE, OPT_DECODER, OPT_HEIGHT, OPT_CSV, OPT_PRETTY, OPT_SVG };

static const struct option s_options[] = {
    {"device", required_argument, NULL, OPT_DEVICE},
    {"decoder", required_argument, NULL, OPT_DECODER},
    {"subject-height-cm", required_argument, NULL, OPT_HEIGHT},
    {"output", required_argument, NULL, 'o'},
    {"landmarks-csv", required_argument, NULL, OPT_CSV},
    {"svg", required_argument, NULL, OPT_SVG},
    {"report", required_argument, NULL, OPT_SVG},
    {"pretty", no_argument, NULL, OPT_PRETTY},
    DN_CLI_COMMON_OPTIONS,
    {NULL, 0, NULL, 0},
};

struct s_args {
    const char *output, *csv, *svg, *height;
    bool pretty;
};

/* Results are printed in input order as soon as every earlier one is out. */
struct s_state {
    const struct s_args *a;
    FILE *json;        /* NULL: no JSON (--pretty without -o) */
    char **lines;      /* n; a line waiting for earlier inputs */
    bool *ready;
    size_t n, next;
    int status;        /* worst exit status so far */
};

static void s_flush(struct s_state *st)
{
    for (; st->next < st->n && st->ready[st->next]; st->next++) {
        char *line = st->lines[st->next];
        if (line && st->json) {
            fputs(line, st->json);
            fputc('\n', st->json);
            fflush(st->json);
        }
        free(line);
        st->lines[st->next] = NULL;
    }
}

/* Writes one per-input file with `write`; a failure fails the input. */
static void s_side_file(struct s_state *st, const char *pattern, size_t index, const void *obj,
                        int (*write)(const void *, FILE *, struct dn_err *))
{
    char path[4096];
    struct dn_err err = {0};
    dn_analyze_out_name(pattern, index, st->n, path, sizeof(path));
    FILE *f = fopen(path, "w");
    int rc = f ? write(obj, f, &err) : dn_err_set(&err, DN_ERR_CONFIG, "cannot write %s: %s",
                                                   path, strerror(errno));
    if (f && fclose(f) && !rc)
        rc = dn_err_set(&err, DN_ERR_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    if (rc) {
        fprintf(stderr, "dancer analyze: %s\n", err.msg);
        st->status = st->status > 1 ? st->status : 1;
    }
}

static int s_write_csv(const void *track, FILE *f, struct dn_err *err)
{
    return dn_track_write_csv(track, f, err);
}

static int s_write_svg(const void *gait, FILE *f, struct dn_err *err)
{
    return dn_gait_report_svg(gait, f, err);
}

static void s_done(const struct dn_pipeline_output *out, void *user)
{
    struct s_state *st = user;
    if (out->error) {
        int status = dn_err_exit_status(out->error->cls);
        st->status = status > st->status ? status : st->status;
    }
    if (st->a->csv && out->track)
        s_side_file(st, st->a->csv, out->index, out->track, s_write_csv);
    if (st->a->svg && out->gait)
        s_side_file(st, st->a->svg, out->index, out->gait, s_write_svg);
    if (st->a->pretty)
        dn_analyze_out_pretty(stdout, out->doc);
    st->lines[out->index] = out->doc ? cJSON_PrintUnformatted(out->doc) : NULL;
    if (!st->lines[out->index]) {
        fprintf(stderr, "dancer analyze: input %zu: out of memory for its result\n", out->index + 1);
        st->status = st->status > 1 ? st->status : 1;
    }
    st->ready[out->index] = true;
    cJSON_Delete(out->doc);
    s_flush(st);
}

static bool s_any_s3(char **inputs, int n)
{
    for (int i = 0; i < n; i++)
        if (!strncmp(inputs[i], "s3://", 5))
            return true;
    return false;
}

/* Opens what the run needs (S3 only for s3:// inputs), runs it, closes. */
static int s_run(struct dn_cli *cli, const struct s_args *a, char **inputs, int n)
{
    struct dn_worker_aws aws = {0};
    struct dn_pipeline_options opt;
    struct dn_pipeline *p = NULL;
    struct dn_pipeline_input *in = calloc((size_t)n, sizeof(*in));
    struct s_state st = {a, NULL, calloc((size_t)n, sizeof(char *)), calloc((size_t)n, 1),
                         (size_t)n, 0, 0};
    struct dn_err err = {0};
    int rc = !in || !st.lines || !st.ready ? dn_err_set(&err, DN_ERR_RESOURCE, "out of memory")
                                           : 0;
    dn_pipeline_options_init(&opt, &cli->cfg);
    opt.keep_tracks = a->csv != NULL;
    opt.subject_height_cm = a->height ? strtod(a->height, NULL) : 0.0;
    if (!rc && s_any_s3(inputs, n))
        rc = dn_worker_aws_open(&cli->cfg, &aws, &err);
    if (!rc)
        rc = dn_pipeline_new(&opt, aws.s3, &p, &err);
    if (!rc && (a->output || !a->pretty)) {
        st.json = a->output ? fopen(a->output, "w") : stdout;
        if (!st.json)
            rc = dn_err_set(&err, DN_ERR_CONFIG, "cannot write %s: %s", a->output, strerror(errno));
    }
    for (int i = 0; !rc && i < n; i++)
        in[i].uri = inputs[i];
    if (!rc)
        rc = dn_pipeline_run(p, in, (size_t)n, NULL, s_done, &st, &err);
    if (st.json && st.json != stdout && fclose(st.json) && !rc)
        rc = dn_err_set(&err, DN_ERR_INTERNAL, "cannot write %s: %s", a->output, strerror(errno));
    dn_pipeline_destroy(p);
    dn_worker_aws_close(&aws);
    for (size_t i = 0; st.lines && i < st.n; i++)
        free(st.lines[i]); /* inputs never flushed: the run failed */
    free(in);
    free(st.lines);
    free(st.ready);
    return rc ? dn_cli_fail(cli, &err) : st.status;
}

/* --subject-height-cm: a number in 50..250. */
static bool s_height_ok(const char *s)
{
    char *end;
    double h = strtod(s, &end);
    return end != s && !*end && isfinite(h) && h >= 50.0 && h <= 250.0;
}

int dn_cmd_analyze(int argc, char **argv)
{
    struct dn_cli cli;
    struct s_args a = {0};
    bool done;
    int opt, rc;
    dn_cli_init(&cli, "analyze", s_usage);
    while ((opt = getopt_long(argc, argv, "ho:", s_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DEVICE: dn_cli_flag(&cli, "DANCER_DEVICE", optarg); break;
        case OPT_DECODER: dn_cli_flag(&cli, "DANCER_DECODER", optarg); break;
        case OPT_HEIGHT: a.height = optarg; break;
        case 'o': a.output = optarg; break;
        case OPT_CSV: a.csv = optarg; break;
        case OPT_SVG: a.svg = optarg; break;
        case OPT_PRETTY: a.pretty = true; break;
        default:
            if ((rc = dn_cli_common(&cli, opt, optarg)))
                return rc;
        }
    }
    if ((rc = dn_cli_load(&cli, &done)) || done)
        return rc;
    if (optind >= argc)
        return dn_cli_usage_error(&cli, "no INPUT given");
    if (a.height && !s_height_ok(a.height))
        return dn_cli_usage_error(&cli, "--subject-height-cm '%s': give a height in cm, "
                                  "50..250", a.height);
    return s_run(&cli, &a, argv + optind, argc - optind);
}
