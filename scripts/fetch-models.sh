#!/usr/bin/env bash
# Fetches the pretrained networks eigenlab imports (stages/pretrained.go,
# stages/nn/tfjs): the npm package nsfwjs@4.3.0 (MIT), which ships Keras
# MobileNetV2 (224×224) and InceptionV3 (299×299) as uint8-quantised tfjs
# weights (DATA.md §2). The tarball is unpacked into
#   ${EIGENLAB_MODELS:-~/.cache/eigenlab/models}/nsfwjs-4.3.0/package/
# and never committed. Idempotent: when that folder is complete the script
# touches no network. Needs npm (the npm registry is reachable; model hubs
# are not).
set -euo pipefail

version=4.3.0
# sha256 of the registry tarball (npm pack nsfwjs@4.3.0, fetched 2026-12):
# the goldens in stages/nn/tfjs/testdata were made from exactly these bytes.
sha256=4496790efc9bdc6f3e85a826a8e482c1fa1e9db4b3d18c095e98cc0c73cfb12f
root=${EIGENLAB_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/eigenlab/models}
dest=$root/nsfwjs-$version
stamp=$dest/.complete

if [ -f "$stamp" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch-models: npm is required to fetch nsfwjs@$version (apt-get install npm)" >&2
  exit 1
fi
mkdir -p "$root"
tmp=$(mktemp -d "$root/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: npm pack nsfwjs@$version into $dest"
(cd "$tmp" && npm pack --silent "nsfwjs@$version" >/dev/null)
got=$(sha256sum "$tmp/nsfwjs-$version.tgz" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "fetch-models: nsfwjs-$version.tgz has sha256 $got, want $sha256 (registry content changed?)" >&2
  exit 1
fi
tar -xzf "$tmp/nsfwjs-$version.tgz" -C "$tmp"
for m in mobilenet_v2 inception_v3; do
  if [ ! -f "$tmp/package/dist/models/$m/model.min.js" ]; then
    echo "fetch-models: nsfwjs@$version has no dist/models/$m/model.min.js" >&2
    exit 1
  fi
done
rm -rf "$dest"
mkdir -p "$dest"
mv "$tmp/package" "$dest/package"
touch "$stamp"
