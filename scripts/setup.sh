#!/usr/bin/env bash
# Installs the Debian packages the project needs at run and test time, if
# missing: fonts-noto-cjk (Noto Serif CJK SC, the fallback face of the PDF
# letters) and poppler-utils (pdftotext / pdftoppm, used by the letters'
# tests). Idempotent: runs apt-get update only when something is missing.
set -euo pipefail
PACKAGES=(fonts-noto-cjk poppler-utils)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present (${PACKAGES[*]})" >&2
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
echo "installing ${missing[*]} from Debian…" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
