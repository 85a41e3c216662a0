/* creds_fixture.h — helpers shared by the credentials tests. */
#ifndef DANCER_TESTS_CREDS_FIXTURE_H
#define DANCER_TESTS_CREDS_FIXTURE_H

#include "dancer/config.h"
#include "dancer/creds.h"

/* dn_config_set as a flag; a rejected value fails the running case. */
void dn_test_cfg_set(struct dn_config *cfg, const char *name, const char *value);

/* One get from a fresh provider built from cfg. */
int dn_test_creds_get_once(const struct dn_config *cfg, struct dn_creds *out, struct dn_err *err);

#endif
