#!/usr/bin/env bash
# Fetches axe-core (the accessibility rules the browser tests run in Chromium, tests/ui/test_a11y.py)
# from the npm registry: a pinned version whose tarball must match the registry's sha512 integrity.
# Idempotent and cached: does nothing when the checked axe.min.js is already in the cache.
# Nothing is written to the repository (no node_modules).
set -euo pipefail

VERSION="4.14.1"
INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
CACHE="${IMPACT_AXE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/impact-pratiques/axe-core-$VERSION}"
TARGET="$CACHE/axe.min.js"

if [ -s "$TARGET" ]; then
    echo "axe-core $VERSION already present: $TARGET"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js (npm) for the accessibility tests." >&2
    exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "axe-core@$VERSION" >/dev/null)
TARBALL="$WORK/axe-core-$VERSION.tgz"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
if [ "$ACTUAL" != "$INTEGRITY" ]; then
    echo "axe-core $VERSION: unexpected digest ($ACTUAL), file refused." >&2
    exit 1
fi
tar -xzf "$TARBALL" -C "$WORK" package/axe.min.js
mkdir -p "$CACHE"
mv "$WORK/package/axe.min.js" "$TARGET.tmp"
mv "$TARGET.tmp" "$TARGET"
echo "axe-core $VERSION installed: $TARGET"
