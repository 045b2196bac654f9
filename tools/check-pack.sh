#!/usr/bin/env bash
# The package as users get it: `npm pack`, then `npm install -g` of the tarball into a temporary
# prefix, run from outside the repository. Checks that the tarball holds no tests or fixtures, that
# the installed `portdelta --version` prints package.json's version, and that `portdelta demo` runs
# from the installed copy. Not a jest test: the install fetches the dependencies from the registry
# and compiles sqlite3 (about 65 s here, 2-3 minutes on a busy machine), which .ci/run can afford
# once but a test file run by every `npm test` cannot. Prints one line 'check-pack: ok …' or
# 'check-pack: FAILED: …' and exits 0 or 1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-pack-XXXXXX")
trap 'rm -rf "$work"' EXIT
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

fail() { echo "check-pack: FAILED: $*"; exit 1; }

start=$SECONDS
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
[ -f "$work/$tarball" ] || fail "npm pack made no tarball (got '$tarball')"
tar -tzf "$work/$tarball" > "$work/contents"
if grep -E '^package/(test|bench|tools|\.ci)/|fixtures/|\.test\.(ts|js)$|\.map$' "$work/contents"; then
  fail "the tarball holds the files listed above: tighten package.json 'files'"
fi
for f in package/LICENSE package/README.md package/dist/bin/portdelta.js package/deploy/portdelta-watch.service package/demo/lab-a/night1/scan-in/nmap-tcp.xml; do
  grep -qx "$f" "$work/contents" || fail "the tarball lacks $f"
done
packed=$((SECONDS - start))

# Outside the repository, so nothing can be found in it by accident.
cd "$work"
start=$SECONDS
npm install -g --prefix "$work/prefix" --no-audit --no-fund --loglevel=error "./$tarball" > "$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "npm install -g of $tarball"; }
installed=$((SECONDS - start))

bin="$work/prefix/bin/portdelta"
case "$(readlink -f "$bin")" in
  "$work/prefix/"*) ;;
  *) fail "$bin does not point into the prefix: $(readlink -f "$bin")" ;;
esac
want=$(node -p "require('$repo/package.json').version")
got=$(env -i PATH="$work/prefix/bin:/usr/bin:/bin" HOME="$work" portdelta --version) || fail "portdelta --version exited $?"
[ "$got" = "$want" ] || fail "portdelta --version printed '$got', package.json says '$want'"
env -i PATH="$work/prefix/bin:/usr/bin:/bin" HOME="$work" portdelta demo > "$work/demo.out" || fail "portdelta demo exited $?"
grep -q 'Night 6' "$work/demo.out" || fail "portdelta demo did not tell night 6: $(head -c 400 "$work/demo.out")"
echo "check-pack: ok: $tarball ($(wc -l < "$work/contents") files, packed in ${packed}s), installed into a temporary prefix in ${installed}s, portdelta --version = $got, demo ran"
