#!/usr/bin/env bash
# The README's test command: the Debian packages the suite needs (fonts for
# the PDF letters, poppler-utils to read them back; scripts/setup.sh, a
# no-op when present), then the whole suite on SQLite. Arguments go to
# `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo test --workspace "$@"
