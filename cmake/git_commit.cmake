# Writes OUT: `#define DN_GIT_COMMIT "<commit>"`, the commit `dancer version`
# and every result's processing.version name. Run at every build (the
# dn_git_commit target), so an incremental build after a commit or an edit
# does not report the commit it was configured at. Where the sources have
# no git metadata (the Docker build: .dockerignore drops .git) the
# commit comes from the DANCER_GIT_COMMIT environment variable, else
# "unknown". The file is rewritten only when its text changes, so an
# unchanged commit recompiles nothing.
#   cmake -DSRC=<source dir> -DOUT=<header> -P git_commit.cmake
execute_process(COMMAND git describe --always --dirty
                WORKING_DIRECTORY "${SRC}"
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT commit)
  set(commit "$ENV{DANCER_GIT_COMMIT}")
endif()
if(NOT commit)
  set(commit "unknown")
endif()
string(REGEX REPLACE "[^A-Za-z0-9._+-]" "_" commit "${commit}")
set(text "#define DN_GIT_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
