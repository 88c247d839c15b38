#!/usr/bin/env python3
"""`wkg fetch` of the wasi:http@0.2.3 dependency tree, cold and warm, side by side.

Clients, in one run against one local CNCF Distribution registry:
  ours      the native `wkg` (wasmtime host with wkg.wasm inside)
  wkg       the native wkg 0.16.1 (`cargo install --locked wkg`)

The registry is seeded with the WASI 0.2.3 packages of tests/fixtures
(io, clocks, random, filesystem, sockets, cli, http) by one multi-path
`wkg publish` of the native wkg, under the OCI repositories `wasi/<pkg>`.
The project is `wit/world.wit` holding a world that includes
`wasi:http/proxy@0.2.3`.

Each round runs every client (order alternating between rounds), each in its
own project copy and cache directory:
  cold      fresh cache directory, no wkg.lock, no wit/deps
  warm      the cache and wkg.lock left by that cold run, wit/deps removed
            (so both runs write the same tree; warm = complete lock and cache)
Times are medians over the rounds. Registry requests are the registry's
access-log lines a run caused, every path counted (the well-known metadata
probe included). A client that fails (ours before `wkg fetch` lands) is
reported as unavailable and the run goes on without it.

Usage: benches/fetch.py --ours target/release/wkg [--wkg PATH] [--runs 10]
"""

import argparse
import collections
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request

WASI = ["io", "clocks", "random", "filesystem", "sockets", "cli", "http"]
WORLD = "package bench:app@0.1.0;\n\nworld app {\n  include wasi:http/proxy@0.2.3;\n}\n"
# A combined-format access-log line: `host - user [date] "METHOD path HTTP/x" status ...`.
ACCESS = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "([A-Z]+) (\S+) HTTP/[^"]*" (\d{3})')
DIGEST = re.compile(r"(sha256:[0-9a-f]{12})[0-9a-f]{52}")


class Registry:
    """A `docker-registry` on 127.0.0.1 with its access log; stopped by pid."""

    def __init__(self, work):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        storage = os.path.join(work, "storage")
        os.makedirs(storage)
        config = os.path.join(work, "registry.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: false\n"
                    f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
                    f"http:\n  addr: {self.host}\n")
        self.log = os.path.join(work, "registry.log")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(["docker-registry", "serve", config],
                                            stdout=log, stderr=log)
        self.sentinels = 0
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        sys.exit("registry did not start")

    def stop(self):
        self.process.kill()
        self.process.wait()

    def offset(self):
        """Where the next access-log line will start."""
        return os.path.getsize(self.log)

    def requests_since(self, offset):
        """[(method, path)] of the access-log lines after `offset`.

        The registry logs a request after answering it, so a client may exit
        before its last line is written: a sentinel request of ours, sent
        afterwards, marks the end.
        """
        time.sleep(0.05)
        self.sentinels += 1
        sentinel = f"/bench-sentinel/{self.sentinels}"
        try:
            urllib.request.urlopen(f"http://{self.host}{sentinel}", timeout=5).close()
        except urllib.error.HTTPError:
            pass
        deadline = time.time() + 5
        while True:
            with open(self.log, errors="replace") as f:
                f.seek(offset)
                lines = f.read().splitlines()
            requests = []
            for line in lines:
                m = ACCESS.match(line)
                if not m:
                    continue
                if m.group(2) == sentinel:
                    return requests
                requests.append((m.group(1), m.group(2)))
            if time.time() > deadline:
                sys.exit(f"the registry's access log never showed {sentinel}")
            time.sleep(0.02)


def fetch(cmd, project, cache, config, env, registry):
    """Runs `wkg fetch` in `project`: (exit code, seconds, requests, stderr)."""
    offset = registry.offset()
    start = time.perf_counter()
    p = subprocess.run(cmd + ["fetch", "--config", config, "--cache", cache], cwd=project,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    return p.returncode, elapsed, registry.requests_since(offset), p.stderr.decode(errors="replace")


def failure(stderr, code):
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return f"exit {code}: {lines[0] if lines else 'no message'}"


def seed(registry, work, args, config, env):
    """Publishes the WASI 0.2.3 packages with the native wkg, in one multi-path publish."""
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                            "fixtures", "wasi", "0.2.3")
    cwd = os.path.join(work, "seed")
    os.makedirs(cwd)
    p = subprocess.run([args.wkg, "publish", "--config", config, "--cache",
                        os.path.join(cwd, "cache")] + [os.path.join(fixtures, pkg) for pkg in WASI],
                       cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = p.stderr.decode(errors="replace")
    if p.returncode != 0 or any(f"Published wasi:{pkg}@0.2.3" not in stderr for pkg in WASI):
        sys.exit(f"seeding the registry failed ({p.returncode}):\n{stderr}")


def deps_tree(project):
    """{path under wit/deps: bytes}."""
    root = os.path.join(project, "wit", "deps")
    tree = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                tree[os.path.relpath(path, root)] = f.read()
    return tree


def lock_entries(project):
    """{(name, registry, requirement, version, digest)} of wkg.lock, or None if unreadable."""
    try:
        with open(os.path.join(project, "wkg.lock"), "rb") as f:
            lock = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    entries = set()
    for pkg in lock.get("packages", lock.get("package", [])):
        for v in pkg.get("versions", pkg.get("version", [])):
            entries.add((pkg.get("name"), pkg.get("registry"), v.get("requirement"),
                         v.get("version"), v.get("digest")))
    return entries


def spread(values):
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def summary(requests):
    """`GET /v2/ x2, ...`, digests shortened."""
    if not requests:
        return "none"
    counts = collections.Counter(m + " " + DIGEST.sub(r"\1…", p) for m, p in requests)
    return ", ".join(f"{r} x{n}" if n > 1 else r for r, n in counts.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--wkg", required=True)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    args.ours = os.path.abspath(args.ours)
    args.wkg = os.path.abspath(args.wkg)

    work = tempfile.mkdtemp(prefix="wkg-fetch-bench-")
    registry = Registry(work)
    try:
        os.makedirs(os.path.join(work, "home"))
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.path.join(work, "home"),
            "WKG_HOST_CACHE_DIR": os.path.join(work, "code-cache"),
        }
        config = os.path.join(work, "config.toml")
        with open(config, "w") as f:
            f.write(f'[namespace_registries]\nwasi = "{registry.host}"\n\n'
                    f'[registry."{registry.host}".oci]\nprotocol = "http"\n')
        seed(registry, work, args, config, env)

        clients = {"ours": [args.ours], "wkg": [args.wkg]}
        # Warm the compiled-code cache (ours) and the page cache (both).
        for cmd in clients.values():
            subprocess.run(cmd + ["--version"], cwd=work, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        samples = {name: {"cold": [], "warm": []} for name in clients}
        unavailable = {}
        last = {}
        for r in range(args.runs):
            order = list(clients) if r % 2 == 0 else list(reversed(clients))
            for name in order:
                if name in unavailable:
                    continue
                cmd = clients[name]
                run_dir = os.path.join(work, name, str(r))
                project = os.path.join(run_dir, "project")
                cache = os.path.join(run_dir, "cache")
                os.makedirs(os.path.join(project, "wit"))
                with open(os.path.join(project, "wit", "world.wit"), "w") as f:
                    f.write(WORLD)
                code, t, requests, stderr = fetch(cmd, project, cache, config, env, registry)
                if code != 0:
                    unavailable[name] = failure(stderr, code)
                    continue
                samples[name]["cold"].append((t, requests))
                cold_lock = lock_entries(project)
                cold_tree = deps_tree(project)
                shutil.rmtree(os.path.join(project, "wit", "deps"), ignore_errors=True)
                code, t, requests, stderr = fetch(cmd, project, cache, config, env, registry)
                if code != 0:
                    unavailable[name] = "warm run " + failure(stderr, code)
                    continue
                samples[name]["warm"].append((t, requests))
                last[name] = {"project": project, "cold_lock": cold_lock, "cold_tree": cold_tree}
                if r + 1 < args.runs:
                    shutil.rmtree(run_dir)
        if "wkg" in unavailable:
            sys.exit(f"the native wkg failed: {unavailable['wkg']}")
        for name, info in last.items():
            info["lock"] = lock_entries(info["project"])
            info["tree"] = deps_tree(info["project"])
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    report(args, clients, samples, unavailable, last)


def report(args, clients, samples, unavailable, last):
    medians = {}
    print(f"\n`wkg fetch` of wasi:http@0.2.3 (world including wasi:http/proxy), "
          f"median of {args.runs} rounds, one registry on 127.0.0.1\n")
    print("| client | cold s | warm s | registry requests cold | registry requests warm |")
    print("|---|---|---|---|---|")
    for name in clients:
        if name in unavailable:
            print(f"| {name} | unavailable ({unavailable[name]}) | | | |")
            continue
        cold, warm = samples[name]["cold"], samples[name]["warm"]
        medians[name] = {
            "cold": statistics.median(t for t, _ in cold),
            "warm": statistics.median(t for t, _ in warm),
            "warm_requests": max(len(q) for _, q in warm),
        }
        print(f"| {name} | {medians[name]['cold']:.3f} | {medians[name]['warm']:.3f} "
              f"| {spread([len(q) for _, q in cold])} | {spread([len(q) for _, q in warm])} |")

    print()
    if "ours" in medians and "wkg" in medians:
        ours, wkg = medians["ours"], medians["wkg"]
        cold, warm = ours["cold"] / wkg["cold"], ours["warm"] / wkg["warm"]
        met = lambda ok: "met" if ok else "missed"
        print(f"ours/wkg: cold {cold:.2f}x (target <= 0.7x: {met(cold <= 0.7)}), "
              f"warm {warm:.2f}x (target <= 1x: {met(warm <= 1.0)}); "
              f"ours' warm registry requests {ours['warm_requests']} "
              f"(target 0: {met(ours['warm_requests'] == 0)})")
    else:
        print("ours/wkg: unavailable (targets: cold <= 0.7x, warm <= 1x, "
              "0 registry requests for ours' warm run)")

    print("\nRegistry requests of the last round\n")
    print("| client | run | requests |")
    print("|---|---|---|")
    for name in clients:
        if name in samples and samples[name]["warm"]:
            for run in ("cold", "warm"):
                print(f"| {name} | {run} | {summary(samples[name][run][-1][1])} |")

    print("\nCompatibility (last round)\n")
    for name, info in last.items():
        same = info["lock"] == info["cold_lock"] and info["tree"] == info["cold_tree"]
        print(f"{name}: {len(info['tree'])} files in wit/deps, {len(info['lock'] or ())} lock "
              f"entries; warm run wrote the same lock and wit/deps as cold: "
              f"{'yes' if same else 'no'}")
    if "ours" in last and "wkg" in last:
        compare_outputs(last["ours"], last["wkg"])
    else:
        print("ours vs wkg: not compared (a client is unavailable)")


def compare_outputs(ours, wkg):
    names_ours, names_wkg = set(ours["tree"]), set(wkg["tree"])
    if names_ours == names_wkg:
        print(f"wit/deps file names: same ({len(names_ours)})")
    else:
        print("wit/deps file names: DIFFER")
        for n in sorted(names_ours - names_wkg):
            print(f"  only ours: {n}")
        for n in sorted(names_wkg - names_ours):
            print(f"  only wkg:  {n}")
    differ = sorted(n for n in names_ours & names_wkg if ours["tree"][n] != wkg["tree"][n])
    print("wit/deps contents of the common files: "
          + (f"differ in {', '.join(differ)}" if differ else "same"))
    if ours["lock"] is None or wkg["lock"] is None:
        print("wkg.lock: unreadable for " + ", ".join(
            n for n, i in (("ours", ours), ("wkg", wkg)) if i["lock"] is None))
    elif ours["lock"] == wkg["lock"]:
        print(f"wkg.lock entries (name, registry, requirement, version, digest): "
              f"same ({len(ours['lock'])})")
    else:
        print("wkg.lock entries (name, registry, requirement, version, digest): DIFFER")
        for e in sorted(ours["lock"] - wkg["lock"], key=str):
            print(f"  only ours: {e}")
        for e in sorted(wkg["lock"] - ours["lock"], key=str):
            print(f"  only wkg:  {e}")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


if __name__ == "__main__":
    main()
