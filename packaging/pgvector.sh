#!/bin/sh
# Builds and installs pgvector into the local PostgreSQL server, for the
# tests of the PostgreSQL library store. Debian 12 packages PostgreSQL 15
# but not pgvector; its source (PostgreSQL licence) is in the shared test
# assets. Without them, or without root, it says so and the store's tests
# run without pgvector (exact search in Carrel, which the store falls back
# to on any server that lacks the extension).
#   pgvector.sh SHARED_DIR
set -eu
shared=${1:-../shared}
pgconfig=$(ls /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pgconfig" ] || { echo "pgvector: no PostgreSQL server headers found; skipping" >&2; exit 0; }
ext=$("$pgconfig" --sharedir)/extension/vector.control
[ -f "$ext" ] && exit 0
if [ ! -d "$shared/pgvector/src" ]; then
	echo "pgvector: no source in $shared/pgvector; the PostgreSQL store's tests run without it" >&2
	exit 0
fi
if [ "$(id -u)" != 0 ] && ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
	echo "pgvector: installing it needs root; the PostgreSQL store's tests run without it" >&2
	exit 0
fi
# The shared folder is read-only where CI runs: build in a copy.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$shared/pgvector" "$tmp/pgvector"
echo "building pgvector from $shared/pgvector" >&2
make -s -C "$tmp/pgvector" PG_CONFIG="$pgconfig" >/dev/null 2>&1
if [ "$(id -u)" = 0 ]; then
	make -s -C "$tmp/pgvector" PG_CONFIG="$pgconfig" install >/dev/null
else
	sudo make -s -C "$tmp/pgvector" PG_CONFIG="$pgconfig" install >/dev/null
fi
