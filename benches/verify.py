#!/usr/bin/env python3
"""`wkg fetch` of the wasi:http@0.2.3 tree with every package signed: policy on versus off.

One local CNCF Distribution registry holds the WASI 0.2.3 packages of
tests/fixtures (published by our `wkg publish`). Each package's manifest gets
a Sigstore bundle from a private instance (`sigstore-forge`: its own Fulcio-
like CA, CT log and transparency log, so certificate, SCT, signed entry
timestamp, inclusion proof and checkpoint are all checked, as for a bundle of
the public-good instance), attached as a referrer by `wkg oci attach`
(Distribution 2.8 has no referrers API: the fallback tag).

Configs, in one run, order alternating between rounds:
  off   no `[sigstore]` table
  on    `[sigstore.policies.wasi]` with the signing identity and issuer, and
        the instance's trusted root
Runs, each in a fresh project copy:
  cold    fresh cache, no wkg.lock, no wit/deps (bundles found and verified)
  warm    the cache and wkg.lock of that cold run, wit/deps removed (the
          policy is checked again from the lock and the cache, no request)
Times are medians over the rounds; requests are the registry's access-log
lines of a run.

Usage: benches/verify.py --ours target/release/wkg --forge target/release/sigstore-forge [--runs 30]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

WASI = ["io", "clocks", "random", "filesystem", "sockets", "cli", "http"]
WORLD = "package bench:app@0.1.0;\n\nworld app {\n  include wasi:http/proxy@0.2.3;\n}\n"
IDENTITY = "https://github.com/WebAssembly/WASI/.github/workflows/publish.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"
ACCESS = re.compile(r'^\S+ \S+ \S+ \[[^\]]*\] "([A-Z]+) (\S+) HTTP/[^"]*" (\d{3})')


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
        return os.path.getsize(self.log)

    def requests_since(self, offset):
        """How many access-log lines follow `offset` (a sentinel request marks the end)."""
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
            count = 0
            for line in lines:
                m = ACCESS.match(line)
                if not m:
                    continue
                if m.group(2) == sentinel:
                    return count
                count += 1
            if time.time() > deadline:
                sys.exit(f"the registry's access log never showed {sentinel}")
            time.sleep(0.02)


def run(cmd, cwd, env, what):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit(f"{what} failed ({p.returncode}):\n{p.stderr.decode(errors='replace')}")
    return p.stdout.decode()


def seed(args, registry, work, config, env):
    """Publishes the WASI packages, then signs each manifest and attaches its bundle."""
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                            "fixtures", "wasi", "0.2.3")
    cwd = os.path.join(work, "seed")
    os.makedirs(cwd)
    run([args.ours, "publish", "--config", config, "--cache", os.path.join(cwd, "cache")]
        + [os.path.join(fixtures, pkg) for pkg in WASI], cwd, env, "publishing")
    forge = os.path.join(work, "forge")
    run([args.forge, "init", forge], cwd, env, "sigstore-forge init")
    for i, pkg in enumerate(WASI):
        reference = f"{registry.host}/wasi/{pkg}:0.2.3"
        req = urllib.request.Request(f"http://{registry.host}/v2/wasi/{pkg}/manifests/0.2.3",
                                     method="HEAD", headers={
                                         "Accept": "application/vnd.oci.image.manifest.v1+json"})
        with urllib.request.urlopen(req) as r:
            digest = r.headers["Docker-Content-Digest"]
        bundle = run([args.forge, "sign", forge, "--digest", digest, "--identity", IDENTITY,
                      "--issuer", ISSUER, "--log-index", str(1000 + i)], cwd, env, "signing")
        path = os.path.join(cwd, f"{pkg}.sigstore.json")
        with open(path, "w") as f:
            f.write(bundle)
        run([args.ours, "oci", "attach", "--insecure", registry.host, reference, path,
             "--artifact-type", "application/vnd.dev.sigstore.bundle.v0.3+json"], cwd, env,
            f"attaching the bundle of wasi:{pkg}")
    return os.path.join(forge, "trusted_root.json")


def fetch(args, project, cache, config, env, registry):
    offset = registry.offset()
    start = time.perf_counter()
    p = subprocess.run([args.ours, "fetch", "--config", config, "--cache", cache], cwd=project,
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"fetch failed ({p.returncode}):\n{p.stderr.decode(errors='replace')}")
    return elapsed, registry.requests_since(offset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--forge", required=True)
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    args.ours = os.path.abspath(args.ours)
    args.forge = os.path.abspath(args.forge)

    work = tempfile.mkdtemp(prefix="wkg-verify-bench-")
    registry = Registry(work)
    try:
        os.makedirs(os.path.join(work, "home"))
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.path.join(work, "home"),
            "WKG_HOST_CACHE_DIR": os.path.join(work, "code-cache"),
        }
        base = (f'[namespace_registries]\nwasi = "{registry.host}"\n\n'
                f'[registry."{registry.host}".oci]\nprotocol = "http"\n')
        configs = {"off": os.path.join(work, "off.toml"), "on": os.path.join(work, "on.toml")}
        with open(configs["off"], "w") as f:
            f.write(base)
        root = seed(args, registry, work, configs["off"], env)
        with open(configs["on"], "w") as f:
            f.write(base + f'\n[sigstore]\ntrusted_root = "{root}"\n\n'
                    f'[sigstore.policies.wasi]\ncertificate_identity = "{IDENTITY}"\n'
                    f'certificate_oidc_issuer = "{ISSUER}"\n')
        subprocess.run([args.ours, "--version"], cwd=work, env=env, stdout=subprocess.DEVNULL)

        samples = {name: {"cold": [], "warm": []} for name in configs}
        for r in range(args.runs):
            order = list(configs) if r % 2 == 0 else list(reversed(configs))
            for name in order:
                run_dir = os.path.join(work, name, str(r))
                project = os.path.join(run_dir, "project")
                cache = os.path.join(run_dir, "cache")
                os.makedirs(os.path.join(project, "wit"))
                with open(os.path.join(project, "wit", "world.wit"), "w") as f:
                    f.write(WORLD)
                samples[name]["cold"].append(
                    fetch(args, project, cache, configs[name], env, registry))
                if name == "on":
                    with open(os.path.join(project, "wkg.lock")) as f:
                        lock = f.read()
                    if lock.count("[packages.versions.signature]") != lock.count("[[packages.versions]]"):
                        sys.exit(f"the lock does not record every signature:\n{lock}")
                shutil.rmtree(os.path.join(project, "wit", "deps"))
                samples[name]["warm"].append(
                    fetch(args, project, cache, configs[name], env, registry))
                shutil.rmtree(run_dir)
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n`wkg fetch` of wasi:http@0.2.3 (every package with a certificate bundle), "
          f"median of {args.runs} rounds, one registry on 127.0.0.1\n")
    print("| policy | cold s | warm s | requests cold | requests warm |")
    print("|---|---|---|---|---|")
    med = {}
    for name in configs:
        cold, warm = samples[name]["cold"], samples[name]["warm"]
        med[name] = (statistics.median(t for t, _ in cold), statistics.median(t for t, _ in warm))
        print(f"| {name} | {med[name][0]:.3f} | {med[name][1]:.3f} | {max(q for _, q in cold)} "
              f"| {max(q for _, q in warm)} |")
    cold, warm = med["on"][0] / med["off"][0], med["on"][1] / med["off"][1]
    print(f"\non/off: cold {cold:.2f}x (target <= 1.3x: {'met' if cold <= 1.3 else 'missed'}), "
          f"warm {warm:.2f}x")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


if __name__ == "__main__":
    main()
