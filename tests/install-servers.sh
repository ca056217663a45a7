#!/usr/bin/env bash
# The servers the cluster and PostgreSQL tests start (tests/servers.py): Debian's
# redis-server and postgresql. `make test` runs this first: it installs what is
# missing when it may (as root, or with sudo that asks no password), and otherwise
# says what to install; the tests then skip (or, under CI, fail) and say why.
set -euo pipefail

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null \
    || missing+=(postgresql)
((${#missing[@]})) || exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "install-servers: the cluster tests need ${missing[*]} (apt-get install ${missing[*]});" \
        "not root and no password-less sudo: they will be skipped" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "install-servers: no apt-get here; install ${missing[*]} for the cluster tests" >&2
    exit 0
fi
echo "install-servers: installing ${missing[*]} (Debian) for the cluster tests"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
