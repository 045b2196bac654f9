#!/usr/bin/env bash
# The package as users get it: `npm pack`, then `npm install -g` of the tarball into a temporary
# prefix, run from outside the repository. Checks that the tarball holds no tests or fixtures, that
# the installed `portdelta --version` prints package.json's version, and that `portdelta demo` runs
# from the installed copy. Not a jest test: the install resolves the dependencies from the registry
# (npm's cache, warm after `npm ci`), which .ci/run can afford once but a test file run by every
# `npm test` cannot. sqlite3 has no prebuilt binary this machine can fetch, so its install script
# compiles it (65 s quiet, 2-3 minutes busy); `npm ci` has just compiled the same version for the
# same Node, so when the versions match that binary is reused (--ignore-scripts, then copied) and the
# check is about our package, not sqlite3's build. Prints one line 'check-pack: ok …' or
# 'check-pack: FAILED: …' and exits 0 or 1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/pd-pack-XXXXXX")
trap 'rm -rf "$work"' EXIT
export npm_config_nodedir="${npm_config_nodedir:-/usr}"

fail() { echo "check-pack: FAILED: $*"; exit 1; }

start=$SECONDS
# `npm pack` builds dist/ first (the prepare script); .ci/run has just built it for the tests and
# says so with PORTDELTA_DIST_FRESH=1, which saves a second compile.
pack_flags=()
[ "${PORTDELTA_DIST_FRESH:-}" = 1 ] && [ -f dist/bin/portdelta.js ] && pack_flags+=(--ignore-scripts)
tarball=$(npm pack --silent "${pack_flags[@]}" --pack-destination "$work" | tail -n 1)
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
npm install -g --prefix "$work/prefix" --prefer-offline --ignore-scripts --no-audit --no-fund --loglevel=error "./$tarball" > "$work/install.log" 2>&1 \
  || { cat "$work/install.log"; fail "npm install -g of $tarball"; }
# The one install script a user's install runs that matters here: sqlite3's native binding.
target="$work/prefix/lib/node_modules/portdelta/node_modules/sqlite3"
[ -d "$target" ] || fail "the installed package has no sqlite3 dependency at $target"
built="$repo/node_modules/sqlite3"
if [ -f "$built/build/Release/node_sqlite3.node" ] \
  && [ "$(node -p "require('$built/package.json').version")" = "$(node -p "require('$target/package.json').version")" ]; then
  mkdir -p "$target/build" && cp -R "$built/build/Release" "$target/build/Release"
  binding="reused from npm ci"
else
  (cd "$target" && npm run install --loglevel=error) > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building sqlite3 in the installed package"; }
  binding="compiled"
fi
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
echo "check-pack: ok: $tarball ($(wc -l < "$work/contents") files, packed in ${packed}s), installed into a temporary prefix in ${installed}s (sqlite3 binding $binding), portdelta --version = $got, demo ran"
