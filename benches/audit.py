#!/usr/bin/env python3
"""Benchmark the audit commands: `scan` beside ripgrep, and `--all-tenants` over many tenants.

scan: a generated tree (by default 200 MB in 20,000 files: code, logs, prose, hex digests,
look-alike tokens with wrong check digits, and a few real tokens) is scanned by
`tokenctl scan` and searched by `rg --column` for the same regex
(`[a-z0-9]{1,16}_[0-9a-f]{72}`), alternating, in rounds; medians and MB/s are printed.
ripgrep only matches the shape; tokenctl also checks the check digits, hashes what matches
and looks it up, so the two do comparable work on text and differ only on candidates.

tenants: a root of 1,000 tenants of 100 keys each (benches/bench.py's realistic file) is
listed and checked with --all-tenants.

    python3 benches/audit.py                  # both, full size
    python3 benches/audit.py --only scan      # or tenants
    python3 benches/audit.py --quick          # small tree and root, 3 rounds (CI smoke test)

Needs: a release build of tokenctl (built unless --bin is given), rg (Debian: ripgrep).
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  the realistic security.yml and its deterministic tokens

REGEX = r"[a-z0-9]{1,16}_[0-9a-f]{72}"


def wrong_check(token):
    last = "1" if token[-1] == "0" else "0"
    return token[:-1] + last


def line_pool(rng, n):
    """Lines of the kinds a repository holds, underscores and hex digits included."""
    words = ["user", "count", "total", "max_len", "items", "request", "handler", "config",
             "value", "error", "buffer", "offset", "token_prefix", "api_key", "deploy", "zone"]
    hexd = lambda k: "".join(rng.choice("0123456789abcdef") for _ in range(k))
    # Of every 500 lines: 200 code, 100 log, 75 prose, 50 digests, 74 JSON with hex, and one
    # look-alike of the exact shape (an `_` and 72 hex digits) whose check digits do not match.
    kinds = [0] * 200 + [3] * 100 + [4] * 75 + [5] * 50 + [6] * 74 + [7]
    pool = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        w = [rng.choice(words) for _ in range(4)]
        if kind == 0:
            pool.append(f"    let {w[0]}_{w[1]} = compute_{w[2]}(&{w[3]}, {i % 97}); // {w[1]} of {w[3]}\n")
        elif kind == 3:
            pool.append(f"2026-11-22T10:{i % 60:02d}:{i % 59:02d}Z INFO request_id={hexd(32)} "
                        f"path=/api/{w[0]} status=200 took_ms={i % 300}\n")
        elif kind == 4:
            pool.append(f"{w[0].capitalize()} {w[1]} and the {w[2]} were changed for the {w[3]} "
                        f"release, see issue {i}.\n")
        elif kind == 5:
            pool.append(f"sha256_{hexd(64)}  dist/{w[0]}-{i}.tar.gz\n")
        elif kind == 6:
            pool.append(f"  \"{w[0]}_{w[1]}\": \"{hexd(40)}\",\n")
        else:
            # Look-alike: the shape exactly, with check digits that do not match.
            pool.append(f"{w[0]}_{hexd(72)}\n")
    return pool


def make_tree(root, files, total_bytes, tokens, seed=7):
    """Writes `files` files of about `total_bytes` under root in folders of 100, and puts
    each of `tokens` in a random file; returns the bytes written."""
    rng = random.Random(seed)
    pool = line_pool(rng, 20000)
    avg_line = sum(map(len, pool)) / len(pool)
    mean = total_bytes / files
    placed = dict(zip(rng.sample(range(files), len(tokens)), tokens))
    written = 0
    for i in range(files):
        d = os.path.join(root, f"dir{i // 100:04d}")
        if i % 100 == 0:
            os.makedirs(d, exist_ok=True)
        lines = max(1, int(rng.uniform(0.2, 1.8) * mean / avg_line))
        text = "".join(rng.choices(pool, k=lines))
        if i in placed:
            cut = text.find("\n", len(text) // 2) + 1
            text = f"{text[:cut]}export API_TOKEN={placed[i]}\n{text[cut:]}"
        data = text.encode()
        with open(os.path.join(d, f"file{i:05d}.txt"), "wb") as f:
            f.write(data)
        written += len(data)
    return written


def timed(argv, expect):
    start = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if p.returncode not in expect:
        sys.exit(f"{argv[0]} exited {p.returncode} (expected {expect}): {p.stderr.decode()[-500:]}")
    return elapsed


def rounds(benches, n):
    """benches: name -> (argv, expected exit codes). One warm-up run each, then n rounds of
    one run of each; returns name -> list of seconds."""
    times = {name: [] for name in benches}
    for argv, expect in benches.values():
        timed(argv, expect)
    for _ in range(n):
        for name, (argv, expect) in benches.items():
            times[name].append(timed(argv, expect))
    return times


def scan_bench(binary, d, quick, runs):
    files, size = (200, 2_000_000) if quick else (20_000, 200_000_000)
    sec = os.path.join(d, "security.yml")
    with open(sec, "w") as f:
        f.write(bench.security_yml(100))
    os.chmod(sec, 0o600)
    # Keys 1 to 5 are live, 13 is disabled; three more with wrong check digits.
    tokens = [bench.token(i) for i in (1, 2, 3, 4, 5, 13)] + [
        wrong_check(bench.token(i)) for i in (6, 7, 8)]
    tree = os.path.join(d, "tree")
    os.mkdir(tree)
    t0 = time.perf_counter()
    written = make_tree(tree, files, size, tokens)
    print(f"Generated {files:,} files, {written / 1e6:.1f} MB, in {time.perf_counter() - t0:.0f} s.",
          file=sys.stderr)
    found = subprocess.run([binary, "--file", sec, "--format", "json", "scan", tree],
                           capture_output=True)
    statuses = [f["status"] for f in json.loads(found.stdout)]
    rg_count = subprocess.run(["rg", "--count-matches", "--no-filename", "-e", REGEX, tree],
                              capture_output=True, text=True).stdout.split()
    benches = {
        "tokenctl scan": ([binary, "--file", sec, "scan", tree], (10,)),
        "rg --column": (["rg", "--column", "-e", REGEX, tree], (0,)),
    }
    times = rounds(benches, runs)
    med = {k: statistics.median(v) for k, v in times.items()}
    out = [f"#### scan: {files:,} files, {written / 1e6:.1f} MB", "",
           f"`tokenctl scan` reported {len(statuses)} tokens "
           f"({statuses.count('live')} live, {statuses.count('disabled')} disabled); "
           f"`rg` matched {sum(map(int, rg_count))} strings of the shape "
           "(look-alikes and wrong check digits included).", "",
           "| command | median s | min s | runs | MB/s |",
           "| --- | ---: | ---: | ---: | ---: |"]
    for name, ts in times.items():
        out.append(f"| {name} | {med[name]:.3f} | {min(ts):.3f} | {len(ts)} "
                   f"| {written / 1e6 / med[name]:.0f} |")
    ratio = med["tokenctl scan"] / med["rg --column"]
    out += ["", f"tokenctl scan takes {ratio:.2f}x rg's time (target: within 2x)."]
    return "\n".join(out)


def tenants_bench(binary, d, quick, runs):
    tenants, keys = (20, 100) if quick else (1000, 100)
    root = os.path.join(d, "tenants")
    text = bench.security_yml(keys)
    for i in range(tenants):
        t = os.path.join(root, f"tenant-{i:04d}")
        os.makedirs(t)
        path = os.path.join(t, "security.yml")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
    size = len(text.encode()) * tenants
    base = [binary, "--root", root]
    benches = {
        "list --all-tenants --format json": (base + ["--format", "json", "list", "--all-tenants"], (0,)),
        "list --all-tenants (table)": (base + ["list", "--all-tenants"], (0,)),
        "list --all-tenants --permission '*' --unrestricted":
            (base + ["list", "--all-tenants", "--permission", "*", "--unrestricted"], (0,)),
        "check --all-tenants --warn-expiring 14d":
            (base + ["check", "--all-tenants", "--warn-expiring", "14d"], (0, 7)),
    }
    times = rounds(benches, runs)
    out = [f"#### --all-tenants: {tenants:,} tenants of {keys} keys ({tenants * keys:,} keys, "
           f"{size / 1e6:.1f} MB)", "",
           "| command | median s | min s | runs |", "| --- | ---: | ---: | ---: |"]
    for name, ts in times.items():
        out.append(f"| `{name}` | {statistics.median(ts):.3f} | {min(ts):.3f} | {len(ts)} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small inputs, 3 rounds: a smoke test")
    ap.add_argument("--only", choices=["scan", "tenants"])
    ap.add_argument("--runs", type=int, help="rounds (default 7, or 3 with --quick)")
    ap.add_argument("--bin", help="tokenctl binary (default: cargo build --release)")
    args = ap.parse_args()
    binary = args.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=bench.ROOT, check=True)
        binary = os.path.join(bench.ROOT, "target", "release", "tokenctl")
    binary = os.path.abspath(binary)
    if args.only != "tenants" and not shutil.which("rg"):
        sys.exit("rg is missing (Debian: apt-get install ripgrep)")
    runs = args.runs or (3 if args.quick else 7)
    rg = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.split("\n")[0] \
        if shutil.which("rg") else "-"
    print(f"Machine: {bench.machine()}; {rg}.\n")
    print(f"Command: `python3 benches/audit.py{' --quick' if args.quick else ''}"
          f"{' --only ' + args.only if args.only else ''}`; whole-process wall time, "
          f"one run of each per round, {runs} rounds after a warm-up run, median.\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="tokenctl-audit-") as d:
        if args.only in (None, "scan"):
            print(scan_bench(binary, d, args.quick, runs) + "\n", flush=True)
        if args.only in (None, "tenants"):
            print(tenants_bench(binary, d, args.quick, runs), flush=True)


if __name__ == "__main__":
    main()
