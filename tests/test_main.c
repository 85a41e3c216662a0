/* test_main.c — runs the cases registered with DN_TEST (see test.h).
 *   test_x            runs every case, prints "N passed, M failed, K skipped"
 *   test_x CASE...    runs the named cases (how ctest calls it)
 *   test_x --list     prints the case names
 * Exit: 0 all ran passed, 1 a case failed, 77 everything was skipped. */
#include "test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CASES 512

static struct {
    const char *name;
    dn_test_fn *fn;
} s_cases[MAX_CASES];
static int s_ncases;
static bool s_failed, s_skipped;
static const char *s_current;

void dn_test_register(const char *name, dn_test_fn *fn)
{
    if (s_ncases == MAX_CASES) {
        fprintf(stderr, "test.h: more than %d cases\n", MAX_CASES);
        exit(1);
    }
    s_cases[s_ncases].name = name;
    s_cases[s_ncases].fn = fn;
    s_ncases++;
}

void dn_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: [%s] ", file, line, s_current ? s_current : "?");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    s_failed = true;
}

void dn_test_skip(const char *why)
{
    fprintf(stderr, "[%s] skipped: %s\n", s_current ? s_current : "?", why);
    s_skipped = true;
}

bool dn_test_failed(void)
{
    return s_failed;
}

const char *dn_test_moto_endpoint(void)
{
    static char url[256];
    const char *path = getenv("DN_TEST_MOTO_FILE");
    if (!path)
        return NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    bool ok = fgets(url, sizeof(url), f) != NULL;
    fclose(f);
    if (!ok)
        return NULL;
    url[strcspn(url, "\r\n")] = '\0';
    return url[0] ? url : NULL;
}

const char *dn_test_data_dir(void)
{
    return getenv("DN_TEST_DATA_DIR");
}

const char *dn_test_tmp_dir(void)
{
    static char dir[1024];
    const char *root = getenv("DN_TEST_TMP_ROOT");
    snprintf(dir, sizeof(dir), "%s/%s-%ld", root ? root : "/tmp", s_current ? s_current : "case",
             (long)getpid());
    if (mkdir(dir, 0700) && errno != EEXIST)
        return NULL;
    return dir;
}

const char *dn_test_unique_name(const char *prefix, char *buf, size_t len)
{
    static int counter;
    snprintf(buf, len, "%s-%ld-%d", prefix, (long)getpid(), ++counter);
    return buf;
}

static int s_run(int i)
{
    s_current = s_cases[i].name;
    s_failed = s_skipped = false;
    s_cases[i].fn();
    s_current = NULL;
    return s_failed ? 1 : s_skipped ? 77 : 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (int i = 0; i < s_ncases; i++)
            puts(s_cases[i].name);
        return 0;
    }
    for (int i = 0; i < s_ncases; i++) {
        bool wanted = argc < 2;
        for (int a = 1; a < argc && !wanted; a++)
            wanted = !strcmp(argv[a], s_cases[i].name);
        if (!wanted)
            continue;
        int rc = s_run(i);
        passed += rc == 0;
        failed += rc == 1;
        skipped += rc == 77;
    }
    if (passed + failed + skipped == 0) {
        fprintf(stderr, "no such test case\n");
        return 1;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    if (failed)
        return 1;
    return passed == 0 ? 77 : 0;
}
