# Sourced by bin/dev and bin/test: a virtual environment with the pinned requirements,
# reinstalled only when requirements.txt changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
STAMP=.venv/.requirements.sha256
if [ ! -f "$STAMP" ] || ! sha256sum --quiet -c "$STAMP" >/dev/null 2>&1; then
  # (the grep drops this machine's notes about package mirrors it does not have)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
  sha256sum requirements.txt > "$STAMP"
fi
PY="$ROOT/.venv/bin/python"
mkdir -p var  # the SQLite databases (dev and the reused test database) live here
