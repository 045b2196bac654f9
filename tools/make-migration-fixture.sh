#!/usr/bin/env bash
# make-migration-fixture.sh — a store filled by the release before migration 011 (issue 17, point
# 5), for test/db/migration-seen.test.ts. It builds that release in a scratch git worktree,
# ingests the demo nights demo/lab-a/night1..night4 into a fresh SQLite file and writes to
# test/fixtures/migration/:
#   old-release-rows.json    every table's rows of that store (knex_migrations by name and batch)
#   old-answers-after-4.json what the old release's read commands answer (--json) on it
#   old-answers-after-6.json the same after it also ingested night5 and night6
# The nights are ingested as `portdelta demo` does (per night scan-in then scan-out, each
# scanner's nmap files in name order: TCP before UDP), but with both scanners in one group "lab",
# so that `disagreements` has something to say. Files are named relative to the repository (the
# scans' recorded source then does not depend on where it is checked out). The commands are listed
# once, in test/fixtures/migration/commands.json, which the test reads too, with the PORTDELTA_NOW
# they run at (`scanners` and `audit --cert-expiry` then do not depend on the day of the run).
# Rows and answers are written compactly (rows as column lists and value arrays) to stay small.
#
# Usage: tools/make-migration-fixture.sh [REF]   (REF: the old release, default 7353ee6)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REF=${1:-7353ee6}
OLD=/tmp/pd-old
OUT="$ROOT/test/fixtures/migration"
WORK=$(mktemp -d)
cleanup() {
  git -C "$ROOT" worktree remove --force "$OLD" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"
export TZ=UTC PORTDELTA_CONFIG= PORTDELTA_DB=
PORTDELTA_NOW=$(node -p "require('$OUT/commands.json').now")
export PORTDELTA_NOW

git -C "$ROOT" worktree add --detach "$OLD" "$REF"
ln -s "$ROOT/node_modules" "$OLD/node_modules"
(cd "$OLD" && npx tsc -p tsconfig.json && node tools/copy-assets.js)

DB="sqlite:$WORK/old.sqlite"
CONFIG=test/fixtures/migration/portdelta.yaml
pd() { (cd "$ROOT" && node "$OLD/dist/bin/portdelta.js" --db "$DB" --config "$CONFIG" "$@"); }

ingest_nights() {
  for n in "$@"; do
    for s in scan-in scan-out; do
      mapfile -t files < <(cd "$ROOT" && ls "demo/lab-a/night$n/$s/"*.xml | sort)
      pd --json ingest --scanner "$s" "${files[@]}" >/dev/null
    done
  done
}

# Every command of commands.json, run by the old release: { "args joined by spaces": answer }.
answers() {
  node - "$OUT/commands.json" "$1" <<'EOF'
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const [cmdFile, outFile] = process.argv.slice(2);
const lines = [];
for (const args of JSON.parse(fs.readFileSync(cmdFile, 'utf8')).commands) {
  const argv = [process.env.OLD_BIN, '--db', process.env.DB, '--config', process.env.CONFIG, ...args, '--json'];
  const answer = JSON.parse(execFileSync(process.execPath, argv, { cwd: process.env.ROOT, encoding: 'utf8' }));
  lines.push(`${JSON.stringify(args.join(' '))}: ${JSON.stringify(answer)}`);
}
fs.writeFileSync(outFile, `{\n${lines.join(',\n')}\n}\n`);
EOF
}
export OLD_BIN="$OLD/dist/bin/portdelta.js" DB CONFIG ROOT

ingest_nights 1 2 3 4
answers "$OUT/old-answers-after-4.json"

# Every table's rows, in primary-key order (rowid order for SQLite is insertion order).
(cd "$ROOT" && node - "$WORK/old.sqlite" "$OUT/old-release-rows.json" <<'EOF'
const knex = require('knex')({ client: 'sqlite3', connection: { filename: process.argv[2] }, useNullAsDefault: true });
const fs = require('node:fs');
(async () => {
  const tables = (await knex.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")).map((r) => r.name);
  const out = [];
  for (const t of tables) {
    const rows = await knex.raw(`SELECT * FROM "${t}" ORDER BY rowid`);
    const columns = t === 'knex_migrations' ? ['name', 'batch'] : Object.keys(rows[0] ?? {});
    out.push(`${JSON.stringify(t)}: ${JSON.stringify({ columns, rows: rows.map((r) => columns.map((c) => r[c])) })}`);
  }
  fs.writeFileSync(process.argv[3], `{\n${out.join(',\n')}\n}\n`);
  await knex.destroy();
})();
EOF
)

ingest_nights 5 6
answers "$OUT/old-answers-after-6.json"
ls -l "$OUT"
