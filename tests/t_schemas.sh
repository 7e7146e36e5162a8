#!/usr/bin/env bash
# t_schemas.sh - runs tests/t_schemas.py (ctest registers only tests/t_*.sh):
# the JSON Schemas of schemas/ against la-receipt's output and hand-made
# negatives.  Skips (77) without python3; the script itself skips without
# the jsonschema module.
command -v python3 >/dev/null 2>&1 || { echo "# python3 not installed: skipped"; exit 77; }
exec python3 "$(dirname "$0")/t_schemas.py" "$@"
