#!/usr/bin/env bash
# Vendor uPlot (MIT) into the console's static files from the npm registry: a pinned
# version, its tarball checked against the integrity the registry published for it.
# The console loads nothing from a CDN; re-run this (make vendor-uplot) to move the pin.
set -euo pipefail

VERSION=1.6.32
INTEGRITY=sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==
DEST="$(cd "$(dirname "$0")/.." && pwd)/src/sentimon/console/static/vendor/uplot"
FILES=(dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "uplot@$VERSION" >/dev/null)
tarball="$work/uplot-$VERSION.tgz"
actual=$(python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tarball")
if [ "$actual" != "$INTEGRITY" ]; then
  echo "uplot@$VERSION: tarball integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" "${FILES[@]/#/package/}"
mkdir -p "$DEST"
for file in "${FILES[@]}"; do cp "$work/package/$file" "$DEST/$(basename "$file")"; done
{
  echo "uplot $VERSION from the npm registry, tarball $INTEGRITY"
  (cd "$DEST" && sha256sum uPlot.iife.min.js uPlot.min.css LICENSE)
} > "$DEST/VERSION"
echo "vendored uplot $VERSION into $DEST"
