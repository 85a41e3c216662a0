#!/usr/bin/env bash
# Prints the Debian/Ubuntu packages that hold the shared libraries a binary
# links directly (its DT_NEEDED entries), one per line. The image's build
# stage runs it on the dancer it just built, and the runtime stage installs
# exactly that list: the package names differ between distribution releases
# (libavcodec59 on Debian 12, libavcodec60 on Ubuntu 24.04, libcurl4t64 ...),
# so asking dpkg beats keeping a hand-written list in step. apt brings each
# package's own dependencies.
#   docker/runtime-packages.sh BINARY
# Exit status 1 when a library is missing or belongs to no package.
set -euo pipefail
bin=${1:?usage: runtime-packages.sh BINARY}

# dpkg records paths as the package ships them, which on a merged-/usr system
# may be /lib/... while the loader reports /usr/lib/... or the other way round.
owner() {
    local path=$1 p
    for p in "$path" "$(readlink -f "$path")" "${path#/usr}" "/usr${path}"; do
        dpkg-query -S "$p" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
    done
    return 1
}

needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }')
resolved=$(ldd "$bin")
status=0 packages=()
for lib in $needed; do
    # "libx.so.1 => /path (addr)", or "/lib64/ld-linux-x86-64.so.2 (addr)" for the loader.
    path=$(awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 } $1 ~ "/" l "$" { print $1 }' <<<"$resolved")
    if [ -z "$path" ] || [ "$path" = "not" ]; then
        echo "runtime-packages: $lib: not found by the loader" >&2; status=1; continue
    fi
    if pkg=$(owner "$path"); then packages+=("$pkg"); else
        echo "runtime-packages: $path belongs to no package" >&2; status=1; fi
done
[ ${#packages[@]} -eq 0 ] || printf '%s\n' "${packages[@]}" | sort -u
exit "$status"
