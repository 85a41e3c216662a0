/* test_creds_remote.c — the container and instance-metadata links against
 * endpoints that answer: a local stand-in (creds_server.py, started per
 * case) for ECS, IMDSv2 and refresh behaviour, and moto's instance
 * metadata. A test clock (dn_creds_provider_set_clock) steps past refresh
 * points; nothing here asserts on elapsed time. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dancer/creds.h"
#include "dancer/strbuf.h"
#include "creds_fixture.h"
#include "test.h"

extern char **environ;

struct s_server {
    pid_t pid;
    int in_fd; /* the server's stdin: closing it stops the server */
    char url[64];
};

static bool s_server_start(struct s_server *s)
{
    char script[1024];
    const char *py = getenv("DN_TEST_PYTHON") ? getenv("DN_TEST_PYTHON") : "python3";
    const char *src = getenv("DN_SOURCE_DIR") ? getenv("DN_SOURCE_DIR") : ".";
    int in[2], out[2];
    posix_spawn_file_actions_t fa;
    s->pid = 0;
    s->in_fd = -1;
    snprintf(script, sizeof(script), "%s/tests/aws/creds_server.py", src);
    if (pipe(in) || pipe(out))
        return false;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {(char *)py, script, NULL};
    int rc = posix_spawnp(&s->pid, py, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    s->in_fd = in[1];
    char port[16] = "";
    FILE *f = fdopen(out[0], "r");
    bool ok = !rc && f && fgets(port, sizeof(port), f) && atoi(port) > 0;
    if (f)
        fclose(f);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", atoi(port));
    return ok;
}

static void s_server_stop(struct s_server *s)
{
    if (s->in_fd >= 0)
        close(s->in_fd);
    if (s->pid > 0)
        waitpid(s->pid, NULL, 0);
}

static size_t s_sink(char *data, size_t size, size_t n, void *user_data)
{
    struct dn_strbuf *b = user_data;
    dn_strbuf_add(b, data, size * n);
    return size * n;
}

/* POST /control (json != NULL) or GET /stats; returns the body (caller frees). */
static char *s_call(const struct s_server *s, const char *json)
{
    char url[128];
    struct dn_strbuf body;
    dn_strbuf_init(&body);
    snprintf(url, sizeof(url), "%s/%s", s->url, json ? "control" : "stats");
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    if (json)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK)
        dn_test_fail(__FILE__, __LINE__, "test server: %s", curl_easy_strerror(cc));
    return dn_strbuf_take(&body);
}

static void s_control(const struct s_server *s, const char *json)
{
    free(s_call(s, json));
}

static int s_count(const struct s_server *s, const char *name)
{
    char *text = s_call(s, NULL);
    cJSON *doc = cJSON_Parse(text ? text : "");
    int n = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, name));
    cJSON_Delete(doc);
    free(text);
    return n;
}

/* Credentials expiring at `exp` (epoch seconds), named `key`. */
static void s_serve_creds(const struct s_server *s, const char *key, time_t exp)
{
    char json[256], when[32];
    struct tm tm;
    gmtime_r(&exp, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(json, sizeof(json),
             "{\"creds\":{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"secret-%s\","
             "\"Token\":\"token-%s\",\"Expiration\":\"%s\"}}", key, key, key, when);
    s_control(s, json);
}

static void s_cfg(struct dn_config *cfg)
{
    struct dn_err err = {0};
    dn_config_init(cfg);
    dn_config_set(cfg, "AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", DN_CFG_FLAG, &err);
    dn_config_set(cfg, "AWS_CONFIG_FILE", "/nonexistent/config", DN_CFG_FLAG, &err);
    dn_config_set(cfg, "AWS_EC2_METADATA_DISABLED", "true", DN_CFG_FLAG, &err);
}

static void s_use_imds(struct dn_config *cfg, const struct s_server *s)
{
    dn_test_cfg_set(cfg, "AWS_EC2_METADATA_DISABLED", "false");
    dn_test_cfg_set(cfg, "AWS_EC2_METADATA_SERVICE_ENDPOINT", s->url);
}

#define START_SERVER(srv)                                                         \
    struct s_server srv;                                                          \
    if (!s_server_start(&srv)) {                                                  \
        s_server_stop(&srv);                                                      \
        dn_test_fail(__FILE__, __LINE__, "cannot start tests/aws/creds_server.py"); \
        return;                                                                   \
    }

DN_TEST(container_relative_uri)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    dn_test_cfg_set(&cfg, "DANCER_CONTAINER_CREDENTIALS_ENDPOINT", srv.url);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/ecs/v2/credentials/5f1e");
    s_serve_creds(&srv, "ASIAECS", 1440938160);
    int rc = dn_test_creds_get_once(&cfg, &c, &err);
    DN_EXPECT_INT(rc, 0);
    DN_EXPECT_STR(c.access_key_id, "ASIAECS");
    DN_EXPECT_STR(c.secret_access_key, "secret-ASIAECS");
    DN_EXPECT_STR(c.session_token, "token-ASIAECS");
    DN_EXPECT_INT(c.expiration, 1440938160);
    DN_EXPECT_STR(c.source, "container");
    DN_EXPECT_INT(s_count(&srv, "ecs"), 1);
    s_server_stop(&srv);
}

/* _FULL_URI with a token: the right one works; a wrong one is DN_ERR_AUTH
 * whose message never shows the token. */
DN_TEST(container_full_uri_with_token)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    char url[128];
    s_cfg(&cfg);
    snprintf(url, sizeof(url), "%s/ecs/full", srv.url);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer sekrit-1");
    s_control(&srv, "{\"ecs_token\": \"Bearer sekrit-1\"}");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "ASIAK1");
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong-2");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "HTTP 401") != NULL);
    DN_EXPECT(strstr(err.msg, "wrong-2") == NULL);
    s_server_stop(&srv);
}

/* The token file is read at every refresh: EKS rotates it. */
DN_TEST(container_token_file_reread)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    char path[1100], url[128];
    struct dn_creds_provider *p = NULL;
    snprintf(path, sizeof(path), "%s/token", dn_test_tmp_dir());
    FILE *f = fopen(path, "w");
    DN_CHECK(f);
    fputs("tok-A\n", f);
    fclose(f);
    s_cfg(&cfg);
    snprintf(url, sizeof(url), "%s/ecs/pod", srv.url);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored when the file is set");
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path);
    s_control(&srv, "{\"ecs_token\": \"tok-A\"}");
    DN_CHECK_OK(dn_creds_provider_new(&cfg, &p, &err), &err);
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    f = fopen(path, "w");
    if (f) {
        fputs("tok-B", f);
        fclose(f);
    }
    s_control(&srv, "{\"ecs_token\": \"tok-B\"}");
    dn_creds_provider_invalidate(p);
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_INT(s_count(&srv, "ecs"), 2);
    dn_creds_provider_destroy(p);
    s_server_stop(&srv);
}

/* A configured container endpoint that fails stops the chain (the instance
 * role behind it is not tried) after botocore's 3 attempts. */
DN_TEST(container_failure_stops_the_chain)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    s_use_imds(&cfg, &srv);
    dn_test_cfg_set(&cfg, "DANCER_CONTAINER_CREDENTIALS_ENDPOINT", srv.url);
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/ecs/x");
    dn_test_cfg_set(&cfg, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/never-used");
    s_control(&srv, "{\"ecs_status\": 500}");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "/ecs/x: HTTP 500") != NULL);
    DN_EXPECT_INT(s_count(&srv, "ecs"), 3);
    DN_EXPECT_INT(s_count(&srv, "imds_token"), 0);
    s_server_stop(&srv);
}

DN_TEST(imds_v2)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    s_use_imds(&cfg, &srv);
    s_serve_creds(&srv, "ASIAIMDS", 4102444800);
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "ASIAIMDS");
    DN_EXPECT_STR(c.session_token, "token-ASIAIMDS");
    DN_EXPECT_INT(c.expiration, 4102444800);
    DN_EXPECT_STR(c.source, "imds");
    DN_EXPECT_INT(s_count(&srv, "imds_token"), 1);
    DN_EXPECT_INT(s_count(&srv, "imds_role"), 1);
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), 1);
    s_server_stop(&srv);
}

/* A service without tokens (PUT answers 405) is asked IMDSv1-style. */
DN_TEST(imds_v1_fallback)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    s_use_imds(&cfg, &srv);
    s_control(&srv, "{\"imds_mode\": \"v1\"}");
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "ASIAK1");
    s_server_stop(&srv);
}

DN_TEST(imds_without_role_or_token)
{
    START_SERVER(srv);
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    s_cfg(&cfg);
    s_use_imds(&cfg, &srv);
    s_control(&srv, "{\"role\": \"\"}");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "the instance has no IAM role") != NULL);
    s_control(&srv, "{\"role\": \"dancer-role\", \"imds_mode\": \"refuse\"}");
    DN_EXPECT_INT(dn_test_creds_get_once(&cfg, &c, &err), DN_E(DN_ERR_AUTH));
    DN_EXPECT(strstr(err.msg, "hop limit") != NULL);
    s_server_stop(&srv);
}

/* --- refresh, on a test clock ------------------------------------------ */

static time_t s_clock_now;
static time_t s_clock(void *user_data)
{
    (void)user_data;
    return __atomic_load_n(&s_clock_now, __ATOMIC_SEQ_CST);
}

static void s_clock_set(time_t t)
{
    __atomic_store_n(&s_clock_now, t, __ATOMIC_SEQ_CST);
}

static struct dn_creds_provider *s_imds_provider(const struct s_server *srv)
{
    struct dn_config cfg;
    struct dn_creds_provider *p = NULL;
    struct dn_err err = {0};
    s_cfg(&cfg);
    s_use_imds(&cfg, srv);
    if (dn_creds_provider_new(&cfg, &p, &err))
        return NULL;
    dn_creds_provider_set_clock(p, s_clock, NULL);
    return p;
}

/* Cached until 5-6 min before Expiration, refreshed inside that window. */
DN_TEST(refresh_ahead_of_expiration)
{
    START_SERVER(srv);
    const time_t t0 = 1700000000, exp1 = t0 + 3600;
    struct dn_creds c;
    struct dn_err err = {0};
    s_clock_set(t0);
    s_serve_creds(&srv, "K1", exp1);
    struct dn_creds_provider *p = s_imds_provider(&srv);
    DN_CHECK(p);
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K1");
    s_serve_creds(&srv, "K2", exp1 + 3600);
    s_clock_set(exp1 - 400); /* outside the window (at most 360 s) */
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K1");
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), 1);
    s_clock_set(exp1 - 250); /* inside it (at least 300 s), K1 still valid */
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K2");
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), 2);
    s_clock_set(exp1 + 100);
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K2");
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), 2);
    dn_creds_provider_destroy(p);
    s_server_stop(&srv);
}

/* A failed refresh keeps the current credentials until just before they
 * expire, retrying every 30 s, then reports the failure. */
DN_TEST(refresh_failure_keeps_current_until_expiry)
{
    START_SERVER(srv);
    const time_t t0 = 1700000000, exp1 = t0 + 3600;
    struct dn_creds c;
    struct dn_err err = {0};
    s_clock_set(t0);
    s_serve_creds(&srv, "K1", exp1);
    struct dn_creds_provider *p = s_imds_provider(&srv);
    DN_CHECK(p);
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    s_control(&srv, "{\"imds_status\": 503}");
    s_clock_set(exp1 - 250);
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K1");
    int tries = s_count(&srv, "imds_creds");
    DN_EXPECT(tries > 1);
    s_clock_set(exp1 - 240); /* within the 30 s back-off: no new attempt */
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), tries);
    s_clock_set(exp1 - 5); /* too close to expiry to hand out */
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), DN_E(DN_ERR_NETWORK));
    DN_EXPECT(strstr(err.msg, "HTTP 503") != NULL);
    s_serve_creds(&srv, "K3", exp1 + 3600);
    s_control(&srv, "{\"imds_status\": 200}");
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K3");
    dn_creds_provider_destroy(p);
    s_server_stop(&srv);
}

#define NTHREADS 8
#define NGETS 20

struct s_caller {
    struct dn_creds_provider *p;
    pthread_barrier_t *start;
    const char *ok1, *ok2; /* the keys a caller may get */
    int failures;
};

static void *s_caller_main(void *arg)
{
    struct s_caller *t = arg;
    struct dn_creds c;
    pthread_barrier_wait(t->start);
    for (int i = 0; i < NGETS; i++) {
        struct dn_err err = {0};
        if (dn_creds_provider_get(t->p, &c, &err) ||
            (strcmp(c.access_key_id, t->ok1) && strcmp(c.access_key_id, t->ok2)))
            t->failures++;
    }
    return NULL;
}

/* Runs NTHREADS callers at once; returns the gets that failed or returned
 * a key other than ok1/ok2. */
static int s_run_callers(struct dn_creds_provider *p, const char *ok1, const char *ok2)
{
    pthread_t th[NTHREADS];
    struct s_caller callers[NTHREADS];
    pthread_barrier_t start;
    int failures = 0;
    pthread_barrier_init(&start, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++) {
        callers[i] = (struct s_caller){.p = p, .start = &start, .ok1 = ok1, .ok2 = ok2};
        pthread_create(&th[i], NULL, s_caller_main, &callers[i]);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        failures += callers[i].failures;
    }
    pthread_barrier_destroy(&start);
    return failures;
}

/* Many callers, a slow endpoint: exactly one fetch per refresh, and every
 * caller gets valid credentials — those with nothing cached wait for the
 * fetch, those with valid ones keep them meanwhile. */
DN_TEST(concurrent_callers_share_one_refresh)
{
    START_SERVER(srv);
    const time_t t0 = 1700000000, exp1 = t0 + 3600;
    s_clock_set(t0);
    s_serve_creds(&srv, "K1", exp1);
    s_control(&srv, "{\"delay_s\": 0.3}");
    struct dn_creds_provider *p = s_imds_provider(&srv);
    DN_CHECK(p);
    DN_EXPECT_INT(s_run_callers(p, "K1", "K1"), 0);
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), 1);
    DN_EXPECT_INT(s_count(&srv, "imds_token"), 1);
    s_serve_creds(&srv, "K2", exp1 + 3600);
    s_clock_set(exp1 - 250);
    DN_EXPECT_INT(s_run_callers(p, "K1", "K2"), 0);
    DN_EXPECT_INT(s_count(&srv, "imds_creds"), 2);
    struct dn_creds c;
    struct dn_err err = {0};
    DN_EXPECT_INT(dn_creds_provider_get(p, &c, &err), 0);
    DN_EXPECT_STR(c.access_key_id, "K2");
    dn_creds_provider_destroy(p);
    s_server_stop(&srv);
}

/* moto's instance metadata (moto/instance_metadata/responses.py): token
 * endpoint, role "default-role", credentials expiring in a day. */
DN_TEST(imds_from_moto)
{
    const char *moto = dn_test_moto_endpoint();
    struct dn_config cfg;
    struct dn_creds c;
    struct dn_err err = {0};
    if (!moto)
        DN_SKIP("no local moto server");
    s_cfg(&cfg);
    dn_test_cfg_set(&cfg, "AWS_EC2_METADATA_DISABLED", "false");
    dn_test_cfg_set(&cfg, "AWS_EC2_METADATA_SERVICE_ENDPOINT", moto);
    DN_CHECK_OK(dn_test_creds_get_once(&cfg, &c, &err), &err);
    DN_EXPECT_STR(c.access_key_id, "test-key");
    DN_EXPECT_STR(c.secret_access_key, "test-secret-key");
    DN_EXPECT_STR(c.session_token, "test-session-token");
    DN_EXPECT(c.expiration > time(NULL) + 20 * 3600);
    DN_EXPECT_STR(c.source, "imds");
}
