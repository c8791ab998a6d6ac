#!/bin/bash
# Makes the trees of bench_precision.py: for each owner+name given, checks out the fetched snapshot of the public
# repository (a bare git dir at $MIRROR/owner+name/repo, e.g. from the session tool `fetch github:owner/name`) into
# $REAL/owner+name/src, then makes src/.venv with its runtime dependencies, as a new user would:
#   uv venv --python 3.12 .venv && uv pip install -e .     (bakerydemo: uv pip install -r requirements.txt)
# Version plug-ins that read git (setuptools-scm, hatch-vcs, uv-dynamic-versioning) get a pretend version 0.0.0,
# because a checked-out snapshot has no .git. Tools (uv, deptry, FawltyDeps) go in $REAL/tools.
set -euo pipefail
REAL=${VENVSENSE_REAL:-/work/real}
MIRROR=${MIRROR:-/work/.mirror}
PY=${PYTHON312:-python3.12}
mkdir -p "$REAL/tools"
if [ ! -x "$REAL/tools/venv/bin/uv" ]; then
  python3 -m venv "$REAL/tools/venv"
  "$REAL/tools/venv/bin/pip" install -q "uv==0.13.9" "deptry==0.25.1" "fawltydeps==0.20.0"
fi
UV=$REAL/tools/venv/bin/uv
if [ ! -d "$REAL/tools/deptry-target" ]; then
  # deptry runs with each project's own Python (its metadata look-ups must see the project's venv)
  "$UV" pip install -q --target "$REAL/tools/deptry-target" --python "$PY" "deptry==0.25.1"
fi
for arg in "$@"; do  # owner+name@commit (the commits are in bench_precision.py's PROJECTS)
  p=${arg%@*}
  commit=${arg#*@}
  [ "$commit" = "$arg" ] && commit=HEAD
  d=$REAL/$p/src
  mkdir -p "$d"
  git --git-dir="$MIRROR/$p/repo" --work-tree="$d" checkout -f "$commit" -- .
  (
    cd "$d"
    "$UV" venv -q --clear --python "$PY" .venv
    if [ "$p" = wagtail+bakerydemo ]; then
      VIRTUAL_ENV=$d/.venv "$UV" pip install -q -r requirements.txt
    else
      SETUPTOOLS_SCM_PRETEND_VERSION=0.0.0 UV_DYNAMIC_VERSIONING_BYPASS=0.0.0 VIRTUAL_ENV=$d/.venv "$UV" pip install -q -e .
    fi
  ) > "$REAL/$p/venv.log" 2>&1
  echo "$p: $(git --git-dir="$MIRROR/$p/repo" rev-parse "$commit")"
done
