#!/usr/bin/env python3
"""Start-up of the native `wkg`: the first start with an empty `$HOME` and
`$XDG_CACHE_HOME` (a fresh install) against a warm start, and `--version`
against the native wkg 0.16.1, in interleaved rounds; peak RSS of each.

Prints a table and the ratios the day-one issue asks for (first <= 3x warm,
`--version` <= 1.5x wkg's time, peak RSS <= 12 MiB)."""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def spawn(cmd, env):
    """Wall time of one run of `cmd`, spawned directly."""
    start = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
    _, status = os.waitpid(pid, 0)
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start


def peak_rss(cmd, env):
    """Peak RSS in MiB, by GNU time."""
    with tempfile.NamedTemporaryFile() as out:
        subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", out.name] + cmd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return int(open(out.name).read().split()[-1]) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--wkg", help="the native wkg 0.16.1")
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()

    root = tempfile.mkdtemp(prefix="wkg-start-")
    try:
        first, warm, native = [], [], []
        warm_home = os.path.join(root, "warm")
        os.makedirs(warm_home)
        warm_env = {"HOME": warm_home, "PATH": os.environ.get("PATH", "")}
        spawn([args.ours, "--version"], warm_env)  # fills the warm code cache
        for n in range(args.rounds):
            # A fresh home: no code cache at all, as right after installing.
            home = os.path.join(root, f"fresh-{n}")
            os.makedirs(home)
            env = {"HOME": home, "XDG_CACHE_HOME": os.path.join(home, ".cache"),
                   "PATH": os.environ.get("PATH", "")}
            first.append(spawn([args.ours, "--version"], env))
            warm.append(spawn([args.ours, "--version"], warm_env))
            if args.wkg:
                native.append(spawn([args.wkg, "--version"], warm_env))
            shutil.rmtree(home)
        fresh = os.path.join(root, "fresh-rss")
        os.makedirs(fresh)
        rss_first = peak_rss([args.ours, "--version"], {"HOME": fresh})
        rss_warm = peak_rss([args.ours, "--version"], warm_env)
        rss_native = peak_rss([args.wkg, "--version"], warm_env) if args.wkg else None

        ms = lambda xs: statistics.median(xs) * 1000
        print(f"median of {args.rounds} interleaved rounds\n")
        print("| run | ms | peak RSS MiB |")
        print("|---|---|---|")
        print(f"| ours, first start (empty cache) | {ms(first):.1f} | {rss_first:.1f} |")
        print(f"| ours, warm `--version` | {ms(warm):.1f} | {rss_warm:.1f} |")
        if args.wkg:
            print(f"| wkg 0.16.1 `--version` | {ms(native):.1f} | {rss_native:.1f} |")
        print(f"\nfirst / warm: {ms(first) / ms(warm):.2f}x (target <= 3x)")
        if args.wkg:
            print(f"`--version`: {ms(warm) / ms(native):.2f}x wkg's time (target <= 1.5x)")
        print(f"peak RSS warm: {rss_warm:.1f} MiB (target <= 12)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
