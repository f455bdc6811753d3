#!/usr/bin/env bash
# Installs the Learning Record Store the xAPI tests and the load benchmark start:
# Ralph (ralph-malph, file-system backend) in a virtual environment of its own,
# because its LRS extra pins FastAPI and uvicorn versions older than ours.
# Usage: install-lrs.sh [VENV_DIR] (default .venv/lrs). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.venv/lrs}"
py="${PY:-python3}"
spec="ralph-malph[lrs]==5.1.0"
stamp="$dir/.installed-ralph-5.1.0"
check() { RALPH_RUNSERVER_BACKEND=fs RALPH_APP_DIR="$dir/ralph-app" "$dir/bin/python" -c "import ralph.api, bcrypt"; }
if [ -f "$stamp" ] && check 2>/dev/null; then
  echo "LRS present ($dir)"
  exit 0
fi
"$py" -m venv "$dir"
"$dir/bin/pip" install --quiet --upgrade pip
# requests: Ralph's API imports it (OIDC auth) without declaring it in the lrs extra
"$dir/bin/pip" install --quiet "$spec" "requests>=2.31"
check || { echo "Ralph LRS did not install" >&2; exit 1; }
touch "$stamp"
echo "installed $spec in $dir"
