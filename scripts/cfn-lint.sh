#!/usr/bin/env bash
# Runs AWS's CloudFormation linter on the packaged template. Installs cfn-lint from PyPI into a
# venv under ~/.cache/pitcrew the first time. Run `npm run package` first.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.58.0
venv="${PITCREW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pitcrew}/venv-cfn-lint-$version"
if [ ! -x "$venv/bin/cfn-lint" ]; then
  echo "[pitcrew] installing cfn-lint $version from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$version"
fi
template=.serverless/cloudformation-template-update-stack.json
[ -f "$template" ] || { echo "no $template: run 'npm run package' first" >&2; exit 1; }
"$venv/bin/cfn-lint" --format parseable
echo "cfn-lint: no errors or warnings in $template"
