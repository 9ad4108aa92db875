#!/usr/bin/env bash
# Install the Debian packages the tests need, only those missing (safe to run again):
#   postgresql            initdb + pg_ctl, for the store tests' throwaway PostgreSQL server
#   default-jre-headless  java, for ODK Validate
#   chromium              headless browser, for the HTML report tests
#   fontconfig            fc-list, which the report tests use to check the fonts below
#   fonts-wqy-microhei    a CJK font (1.6 MB; fonts-noto-cjk is 56 MB), so Chinese renders
#   fonts-dejavu-core     Latin and Cyrillic, so Russian renders (chromium pulls no font)
# A font package is installed only when fontconfig knows no font for that script.
# apt-get update runs only when something has to be installed. Runs as root, or through
# sudo when it is available. Called by scripts/test.sh.
set -euo pipefail

missing=()
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
    || ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    missing+=(postgresql)
fi
if ! command -v java >/dev/null 2>&1; then
    missing+=(default-jre-headless)
fi
if ! command -v chromium >/dev/null 2>&1; then
    missing+=(chromium)
fi
if ! command -v fc-list >/dev/null 2>&1; then
    missing+=(fontconfig)
fi
# (captured, not piped to grep -q: with pipefail, fc-list's SIGPIPE would read as "none")
if [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    missing+=(fonts-wqy-microhei)
fi
if [ -z "$(fc-list :lang=ru 2>/dev/null)" ]; then
    missing+=(fonts-dejavu-core)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-test-deps: all present (postgresql, java, chromium, CJK and Cyrillic fonts)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-test-deps: need root or sudo to install: ${missing[*]}" >&2
    echo "  run: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: no apt-get here; install by hand: ${missing[*]}" >&2
    exit 1
fi

echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
