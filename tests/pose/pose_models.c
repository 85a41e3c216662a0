/* pose_models.c — see pose_models.h. */
#include "pose_models.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

bool dn_test_pose_models(char *detector, size_t det_len, char *landmarks, size_t lm_len)
{
    const char *dir = getenv("DANCER_MODEL_DIR");
    char def[900];
    struct stat st;
    if (!dir || !*dir) {
        snprintf(def, sizeof(def), "%s/.cache/dancer/models", getenv("HOME") ? getenv("HOME") : ".");
        dir = def;
    }
    snprintf(detector, det_len, "%s/pose_detection.dnm", dir);
    snprintf(landmarks, lm_len, "%s/pose_landmark_full.dnm", dir);
    return !stat(detector, &st) && !stat(landmarks, &st);
}
