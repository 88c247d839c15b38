#!/usr/bin/env bash
# Regenerates host/startup.order, the functions the native `wkg` runs when
# it starts, which host/build.rs has the linker put next to each other (see
# `order_startup_code` there). Run it after changing dependencies or the
# toolchain (function names carry their crate's hash; a stale file only
# costs start-up pages, it never breaks the build).
#
# The start is traced by valgrind's callgrind, which sees every function
# executed, over a binary whose embedded component is compiled for the
# baseline CPU (valgrind's virtual CPU lacks some of this one's features,
# and wkg would otherwise compile the component instead of starting).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh valgrind

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
WKG_PRECOMPILE=baseline cargo build --release --locked -p wkg-host --bin wkg
cp target/release/wkg "$work/wkg"
mkdir -p "$work/home" "$work/project"
run() {
  (cd "$work/project" && HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
    XDG_CACHE_HOME="$work/home/.cache" valgrind --tool=callgrind --demangle=no \
    --callgrind-out-file="$work/callgrind.%p" "$work/wkg" "$@" >/dev/null 2>&1) || true
}
run --version
run --help
run config
run get --help
python3 - "$work" host/startup.order <<'PY'
import glob, re, subprocess, sys
work, out = sys.argv[1], sys.argv[2]
names = set()
for path in glob.glob(f"{work}/callgrind.*"):
    for line in open(path, errors="replace"):
        m = re.match(r"c?fn=\(\d+\) (.*)", line)
        if m:
            names.add(m.group(1).strip())
symbols = {}
nm = subprocess.run(["nm", "-S", "--defined-only", f"{work}/wkg"],
                    capture_output=True, text=True, check=True).stdout
for line in nm.splitlines():
    f = line.split()
    if len(f) == 4 and f[2] in "tTwW":
        symbols[f[3]] = int(f[1], 16)
hot = sorted(n for n in names if n in symbols)
with open(out, "w") as f:
    f.write("".join(n + "\n" for n in hot))
print(f"{out}: {len(hot)} functions, {sum(symbols[n] for n in hot) / 1024:.0f} KiB of code")
PY
# The binary for this machine again.
cargo build --release --locked -p wkg-host --bin wkg
