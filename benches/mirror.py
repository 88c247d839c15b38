#!/usr/bin/env python3
"""`wkg mirror` of a 60-package lock against `skopeo copy`, one by one.

One run, two local CNCF Distribution registries (source and target). The
source holds 60 packages `bench:p00` .. `bench:p59`, version 1.0.0, pushed
with our `wkg oci push` as wasm components of 16 KiB to 2 MiB (a component
header and a custom section; 58 MiB in all). With `--referrers`, each also
has one referrer (a 3 KB signature-sized file attached with `wkg oci
attach`, listed under the `sha256-<hex>` fallback tag: Distribution 2.8 has
no referrers API). A lock pins all 60.

Each round, in alternating order:
  wkg mirror   `wkg mirror --lock bench.lock --to TARGET/wkg-<round>`: every
               release, its config and layer, and its referrers (8 releases
               at a time)
  skopeo       for each package, one after the other: `skopeo copy
               docker://SOURCE/bench/pNN:1.0.0
               docker://TARGET/skopeo-<round>/bench/pNN:1.0.0`; with
               `--referrers`, also `skopeo copy --all` of the fallback tag
               (the index and the referrer manifest it lists), so both copy
               the same artifacts
Each round writes under a new prefix, so nothing is already there. Times are
wall-clock, median over the rounds; the ratio is ours over skopeo's.

Usage: benches/mirror.py --ours target/release/wkg [--runs 5] [--packages 60]
                         [--referrers]
"""

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """A `docker-registry` on 127.0.0.1; stopped by pid."""

    def __init__(self, work):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        storage = os.path.join(work, "storage")
        os.makedirs(storage)
        config = os.path.join(work, "registry.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                    f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
                    f"http:\n  addr: {self.host}\n")
        log = open(os.path.join(work, "registry.log"), "w")
        self.process = subprocess.Popen(["docker-registry", "serve", config],
                                        stdout=log, stderr=log)
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


def leb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def component(index, size):
    """A valid, empty component padded with a custom section to `size` bytes."""
    name = b"bench-padding"
    payload = bytes([index % 256]) * max(0, size - 64)
    body = leb(len(name)) + name + payload
    return b"\0asm\x0d\x00\x01\x00" + b"\x00" + leb(len(body)) + body


def run(args, env=None, cwd=None):
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ours", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--packages", type=int, default=60)
    parser.add_argument("--referrers", action="store_true")
    opts = parser.parse_args()
    ours = os.path.abspath(opts.ours)
    work = tempfile.mkdtemp(prefix="wkg-mirror-bench-")
    source = target = None
    try:
        os.makedirs(os.path.join(work, "source"))
        os.makedirs(os.path.join(work, "target"))
        source = Registry(os.path.join(work, "source"))
        target = Registry(os.path.join(work, "target"))
        project = os.path.join(work, "project")
        os.makedirs(project)
        env = dict(os.environ, WKG_OCI_INSECURE=f"{source.host},{target.host}",
                   HOME=os.path.join(work, "home"), SOURCE_DATE_EPOCH="1700000000")
        os.makedirs(env["HOME"])
        sizes = [16 * 1024 * (1 + (i * 37) % 128) for i in range(opts.packages)]
        lock = ["version = 1\n"]
        fallback = {}
        for i, size in enumerate(sizes):
            name = f"p{i:02d}"
            path = os.path.join(project, f"{name}.wasm")
            content = component(i, size)
            with open(path, "wb") as f:
                f.write(content)
            reference = f"{source.host}/bench/{name}:1.0.0"
            run([ours, "oci", "push", reference, path], env=env)
            if opts.referrers:
                sig = os.path.join(project, f"{name}.sigstore.json")
                with open(sig, "w") as f:
                    f.write("{" + '"x":"' + "s" * 3000 + '"}')
                run([ours, "oci", "attach", reference, sig, "--artifact-type",
                     "application/vnd.dev.sigstore.bundle.v0.3+json"], env=env)
                out = run([ours, "oci", "discover", reference, "--format", "json"], env=env)
                fallback[name] = json.loads(out)["subject"]["digest"].replace(":", "-")
            digest = "sha256:" + hashlib.sha256(content).hexdigest()
            lock.append(f'\n[[packages]]\nname = "bench:{name}"\nregistry = "{source.host}"\n'
                        f'\n[[packages.versions]]\nrequirement = "=1.0.0"\nversion = "1.0.0"\n'
                        f'digest = "{digest}"\n')
        with open(os.path.join(project, "wkg.lock"), "w") as f:
            f.write("".join(lock))
        with open(os.path.join(project, "config.toml"), "w") as f:
            f.write(f'[namespace_registries]\nbench = "{source.host}"\n\n'
                    f'[registry."{source.host}".oci]\nprotocol = "http"\n')
        total = sum(sizes)
        print(f"{opts.packages} packages, {total / 2**20:.1f} MiB of layers, "
              f"{'one referrer each' if opts.referrers else 'no referrers'}; {opts.runs} rounds")

        def ours_round(r):
            start = time.perf_counter()
            out = run([ours, "mirror", "--config", "config.toml", "--cache", f"cache-{r}",
                       "--lock", "wkg.lock", "--to", f"{target.host}/wkg-{r}"], env=env, cwd=project)
            took = time.perf_counter() - start
            if f"Mirrored {opts.packages} releases" not in out:
                sys.exit(f"unexpected mirror output:\n{out}")
            return took

        def skopeo_round(r):
            start = time.perf_counter()
            for i in range(opts.packages):
                name = f"p{i:02d}"
                tags = ["1.0.0"] + ([fallback[name]] if opts.referrers else [])
                for tag in tags:
                    run(["skopeo", "--insecure-policy", "copy", "--quiet", "--all",
                         "--src-tls-verify=false", "--dest-tls-verify=false",
                         f"docker://{source.host}/bench/{name}:{tag}",
                         f"docker://{target.host}/skopeo-{r}/bench/{name}:{tag}"])
            return time.perf_counter() - start

        times = {"wkg mirror": [], "skopeo": []}
        for r in range(opts.runs):
            order = [("wkg mirror", ours_round), ("skopeo", skopeo_round)]
            if r % 2:
                order.reverse()
            for name, fn in order:
                times[name].append(fn(r))
        ours_median = statistics.median(times["wkg mirror"])
        skopeo_median = statistics.median(times["skopeo"])
        for name, ts in times.items():
            print(f"{name:12} median {statistics.median(ts):7.3f} s   "
                  f"({', '.join(f'{t:.3f}' for t in ts)})")
        print(f"ratio (wkg mirror / skopeo): {ours_median / skopeo_median:.3f}")
    finally:
        for registry in (source, target):
            if registry:
                registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
