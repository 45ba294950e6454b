#!/usr/bin/env bash
# Installs what building and testing eigenlab needs on a fresh Debian
# machine: gcc for cgo (go-sqlite3, OpenBLAS, HDF5), OpenBLAS (BLAS and LAPACK), libhdf5, and
# the Debian data packages the image tests read. Idempotent: packages that
# are present are not reinstalled. Needs root (or sudo) when something is missing.
set -euo pipefail

pkgs=(gcc libc6-dev libopenblas-dev libhdf5-dev pkg-config)  # cgo: OpenBLAS, HDF5 (stages/hdf5)
if [ "${EIGENLAB_DATA:-1}" = 1 ]; then
  pkgs+=(mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04
         plasma-workspace-wallpapers dataset-fashion-mnist)
fi
[ -n "${CI:-}" ] || [ "${EIGENLAB_BROWSER:-0}" = 1 ] && pkgs+=(chromium)  # the report's browser test
[ -n "${CI:-}" ] || [ "${EIGENLAB_SLURM:-0}" = 1 ] && pkgs+=(slurmctld slurmd slurm-client munge)  # --executor slurm test (scripts/slurm-local.sh)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "setup: Go is required (https://go.dev/dl); /usr/local/go/bin must be on PATH" >&2; exit 1; }
bash "$(dirname "$0")/fetch-models.sh"   # pretrained nsfwjs weights (npm), into ~/.cache/eigenlab/models
