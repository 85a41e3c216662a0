/* creds_profile.c — the shared credentials and config files: link 2 of the
 * chain, and the profile's region.
 *
 * Read the way botocore reads them (botocore/configloader.py, which uses
 * Python's RawConfigParser):
 *   - credentials file (~/.aws/credentials): every [NAME] is a profile;
 *   - config file (~/.aws/config): [default] and [profile NAME]; other
 *     sections ([sso-session x], [services x], a bare [x]) are not profiles;
 *   - "key = value" or "key: value", keys case-insensitive, values trimmed,
 *     whole-line comments (# or ;) only: "key = a # b" has the value "a # b";
 *   - a line indented deeper than the option above continues it (nested
 *     settings such as `s3 =` + `  addressing_style = path`): skipped here.
 * Precedence inside the link, as botocore's chain has it: AssumeRole / web
 * identity / SSO settings (unsupported: an error), then keys in the
 * credentials file, then credential_process (unsupported), then keys in the
 * config file. https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "creds_links.h"

/* What one file says about one profile. */
struct s_profile {
    bool exists; /* the file could be read */
    bool found;  /* it has the profile's section */
    char key_id[128], secret[256], token[4096], region[64];
    char role[32];    /* first AssumeRole/web identity/SSO key seen */
    char process[32]; /* "credential_process" when set */
};

/* Expands the setting ("" = $HOME/def, leading "~/" = $HOME/). */
static void s_path(const char *setting, const char *def, char *buf, size_t len)
{
    const char *home = getenv("HOME");
    struct passwd pw, *res = NULL;
    char pwbuf[1024];
    if (!home && !getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) && res)
        home = pw.pw_dir; /* services started without HOME still have a home */
    if (!home)
        home = "";
    if (!setting[0])
        snprintf(buf, len, "%s/%s", home, def);
    else if (setting[0] == '~' && setting[1] == '/')
        snprintf(buf, len, "%s%s", home, setting + 1);
    else
        snprintf(buf, len, "%s", setting);
}

static char *s_strip(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Does section header text `sec` name profile `name` in this kind of file? */
static bool s_section_is(const char *sec, const char *name, bool config)
{
    if (!config)
        return !strcmp(sec, name);
    if (!strcmp(sec, "default"))
        return !strcmp(name, "default");
    if (strncmp(sec, "profile", 7) || (sec[7] != ' ' && sec[7] != '\t'))
        return false;
    const char *rest = sec + 7;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return !strcmp(rest, name);
}

static void s_take(struct s_profile *p, const char *key, const char *value)
{
    static const char *const role_keys[] = {"role_arn", "web_identity_token_file",
                                            "sso_session", "sso_start_url"};
    if (!strcmp(key, "aws_access_key_id"))
        snprintf(p->key_id, sizeof(p->key_id), "%s", value);
    else if (!strcmp(key, "aws_secret_access_key"))
        snprintf(p->secret, sizeof(p->secret), "%s", value);
    else if (!strcmp(key, "aws_session_token") ||
             (!strcmp(key, "aws_security_token") && !p->token[0])) /* boto2's name */
        snprintf(p->token, sizeof(p->token), "%s", value);
    else if (!strcmp(key, "region"))
        snprintf(p->region, sizeof(p->region), "%s", value);
    else if (!strcmp(key, "credential_process"))
        snprintf(p->process, sizeof(p->process), "%s", key);
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(key, role_keys[i]) && !p->role[0])
            snprintf(p->role, sizeof(p->role), "%s", key);
}

/* One "key = value" line of the wanted section. */
static void s_option(char *line, struct s_profile *p)
{
    size_t k = strcspn(line, "=:");
    if (!line[k])
        return;
    char *value = s_strip(line + k + 1);
    line[k] = '\0';
    char *key = s_strip(line);
    for (char *c = key; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    s_take(p, key, value);
}

/* Fills p from section `name` of `path`. A missing file is not an error
 * (p->exists false); one that exists but cannot be read is. */
static int s_read(const char *path, const char *name, bool config, struct s_profile *p,
                  struct dn_err *err)
{
    memset(p, 0, sizeof(*p));
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return dn_err_set(err, DN_ERR_CONFIG, "%s: %s", path, strerror(errno));
    }
    p->exists = true;
    char *line = NULL;
    size_t cap = 0;
    bool in_section = false, have_option = false;
    size_t option_indent = 0;
    while (getline(&line, &cap, f) > 0) {
        size_t indent = strspn(line, " \t");
        char *s = s_strip(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (have_option && indent > option_indent)
            continue; /* continuation of the option above */
        if (*s == '[' && strchr(s, ']')) {
            *strchr(s, ']') = '\0';
            in_section = s_section_is(s_strip(s + 1), name, config);
            p->found |= in_section;
            have_option = false;
            continue;
        }
        have_option = true;
        option_indent = indent;
        if (in_section)
            s_option(s, p);
    }
    free(line);
    fclose(f);
    return 0;
}

/* Keys from one file: 0 found, DN_CREDS_ABSENT none, <0 half a pair. */
static int s_keys(const struct s_profile *p, const char *path, const char *name,
                  struct dn_creds *out, struct dn_err *err)
{
    char where[2 * DN_CFG_URL + 64];
    snprintf(where, sizeof(where), "%s [profile %s]", path, name);
    struct dn_creds_static in = {p->key_id, p->secret, p->token, where, "aws_access_key_id",
                                 "aws_secret_access_key"};
    return dn_creds_static_take(&in, "shared-file", out, err);
}

static int s_unsupported(const char *name, const char *what, struct dn_err *err)
{
    return dn_err_set(err, DN_ERR_CONFIG,
                      "profile %s uses %s, which dancer does not support: give the profile "
                      "static keys, or run with an instance or container role",
                      name, what);
}

/* Both files' view of the profile; DN_ERR_CONFIG when AWS_PROFILE names a
 * profile neither has (the CLI's "config profile could not be found"). */
static int s_load_both(const struct dn_config *cfg, struct s_profile *cred, struct s_profile *conf,
                       char *cpath, char *fpath, size_t len, struct dn_err *err)
{
    const char *name = cfg->aws_profile[0] ? cfg->aws_profile : "default";
    s_path(cfg->aws_shared_credentials_file, ".aws/credentials", cpath, len);
    s_path(cfg->aws_config_file, ".aws/config", fpath, len);
    int rc = s_read(cpath, name, false, cred, err);
    if (!rc)
        rc = s_read(fpath, name, true, conf, err);
    if (!rc && cfg->aws_profile[0] && !cred->found && !conf->found)
        rc = dn_err_set(err, DN_ERR_CONFIG, "AWS_PROFILE=%s: no such profile in %s or %s", name,
                        cpath, fpath);
    return rc;
}

static void s_note(struct dn_strbuf *tried, const char *path, const struct s_profile *p)
{
    dn_strbuf_addf(tried, "%s %s", path,
                   !p->exists ? "missing" : !p->found ? "has no such profile" : "has no keys");
}

int dn_creds_profile_load(const struct dn_config *cfg, struct dn_creds *out,
                          struct dn_strbuf *tried, struct dn_err *err)
{
    const char *name = cfg->aws_profile[0] ? cfg->aws_profile : "default";
    char cpath[DN_CFG_URL + 64], fpath[DN_CFG_URL + 64];
    struct s_profile *cred = calloc(2, sizeof(*cred)), *conf = cred + 1;
    if (!cred)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    int rc = s_load_both(cfg, cred, conf, cpath, fpath, sizeof(cpath), err);
    if (rc)
        goto cleanup;
    if (cred->role[0] || conf->role[0]) {
        rc = s_unsupported(name, cred->role[0] ? cred->role : conf->role, err);
        goto cleanup;
    }
    rc = s_keys(cred, cpath, name, out, err);
    if (rc == DN_CREDS_ABSENT && (cred->process[0] || conf->process[0]))
        rc = s_unsupported(name, "credential_process", err);
    if (rc == DN_CREDS_ABSENT)
        rc = s_keys(conf, fpath, name, out, err);
    if (rc == DN_CREDS_ABSENT) {
        dn_strbuf_addf(tried, "shared files (profile %s: ", name);
        s_note(tried, cpath, cred);
        dn_strbuf_adds(tried, ", ");
        s_note(tried, fpath, conf);
        dn_strbuf_adds(tried, ")");
    }
cleanup:
    memset(cred, 0, 2 * sizeof(*cred));
    free(cred);
    return rc;
}

int dn_aws_profile_region(const struct dn_config *cfg, char *buf, size_t len, struct dn_err *err)
{
    char cpath[DN_CFG_URL + 64], fpath[DN_CFG_URL + 64];
    struct s_profile *cred = calloc(2, sizeof(*cred)), *conf = cred + 1;
    if (len)
        buf[0] = '\0';
    if (!cred)
        return dn_err_set(err, DN_ERR_INTERNAL, "out of memory");
    int rc = s_load_both(cfg, cred, conf, cpath, fpath, sizeof(cpath), err);
    if (!rc)
        snprintf(buf, len, "%s", cred->region[0] ? cred->region : conf->region);
    memset(cred, 0, 2 * sizeof(*cred));
    free(cred);
    return rc;
}

int dn_aws_region(const struct dn_config *cfg, char *buf, size_t len, struct dn_err *err)
{
    if (cfg->aws_region[0] || cfg->aws_default_region[0]) {
        snprintf(buf, len, "%s", cfg->aws_region[0] ? cfg->aws_region : cfg->aws_default_region);
        return 0;
    }
    return dn_aws_profile_region(cfg, buf, len, err);
}
