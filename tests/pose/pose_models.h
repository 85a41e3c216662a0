/*
 * pose_models.h — where the pose tests and tools find the converted models:
 * DANCER_MODEL_DIR (the setting of include/dancer/config.h), else
 * ~/.cache/dancer/models (models/fetch.sh's default).
 */
#ifndef DANCER_TEST_POSE_MODELS_H
#define DANCER_TEST_POSE_MODELS_H

#include <stdbool.h>
#include <stddef.h>

/* Fills the two .dnm paths; true when both files exist. */
bool dn_test_pose_models(char *detector, size_t det_len, char *landmarks, size_t lm_len);

#endif
