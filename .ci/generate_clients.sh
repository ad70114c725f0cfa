#!/usr/bin/env bash
# Generate a Python client (openapi-python-client) and a TypeScript one (openapi-typescript)
# from the live schema; fail if either generator warns or errs, or if any module of the
# Python package does not import. The generators run in their own virtualenv (.venv-sdk)
# and through npx, so the project's requirements stay what the API needs.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON_CLIENT=openapi-python-client==0.29.1
TYPESCRIPT_CLIENT=openapi-typescript@7.13.0
SDK_VENV="$ROOT/.venv-sdk"
OUT=$(mktemp -d "${TMPDIR:-/tmp}/marketplace-clients.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

if [[ ! -x "$SDK_VENV/bin/openapi-python-client" ]]; then
    python3 -m venv "$SDK_VENV"
    "$SDK_VENV/bin/python" -m pip install --quiet "$PYTHON_CLIENT"
fi

env -u DATABASE_URL -u REDIS_URL DEBUG=True "$ROOT/.venv/bin/python" manage.py spectacular \
    --format openapi-json --validate --fail-on-warn --file "$OUT/schema.json"

echo "Python client ($PYTHON_CLIENT)"
"$SDK_VENV/bin/openapi-python-client" generate --path "$OUT/schema.json" \
    --config .ci/openapi-python-client.yml --meta none \
    --output-path "$OUT/python/marketplace_client" 2>&1 | tee "$OUT/python.log"
# It reports problems ("Warning(s) encountered", "Unable to parse ...") and still exits 0.
if grep -Eiq "warning|error|unable" "$OUT/python.log"; then
    echo "openapi-python-client reported problems (above)" >&2
    exit 1
fi
(cd "$OUT/python" && "$SDK_VENV/bin/python" -W error - <<'PY'
import importlib
import pkgutil

import marketplace_client

names = [m.name for m in pkgutil.walk_packages(marketplace_client.__path__, "marketplace_client.")]
for name in names:
    importlib.import_module(name)
print(f"{len(names)} modules of the generated Python client import")
PY
)

echo "TypeScript types ($TYPESCRIPT_CLIENT)"
npx --yes "$TYPESCRIPT_CLIENT" "$OUT/schema.json" -o "$OUT/api.d.ts" 2>&1 | tee "$OUT/typescript.log"
if grep -Eiq "warn|error" "$OUT/typescript.log" || [[ ! -s "$OUT/api.d.ts" ]]; then
    echo "openapi-typescript reported problems (above)" >&2
    exit 1
fi
echo "$(wc -l <"$OUT/api.d.ts") lines of TypeScript types"
