#!/usr/bin/env python3
"""Benchmark tokenctl against htpasswd (apache2-utils) and a PyYAML (libyaml) script.

Every figure is the wall time of a whole process, as a script calling the tool would see
it. For each file size the benchmarks run in rounds, one run of every benchmark per round in a shuffled order
(so the tools alternate and share whatever load the machine has), and the median is kept.
Write benchmarks restore the file from a pristine copy before every run, outside the timed
region. Peak memory is one extra run of each under `/usr/bin/time -f %M`.

    python3 benches/bench.py                 # 100, 1,000, 10,000, 100,000 keys
    python3 benches/bench.py --quick         # 100 and 1,000 keys, few runs (CI smoke test)
    python3 benches/bench.py --markdown out.md
    python3 benches/bench.py --baseline old/tokenctl   # before and after, in the same rounds

Every write is also set against the in-process floor, measured in the same rounds: what any
writer that promises what tokenctl promises must do at the least (take the lock, read the
file, write a temporary file, fsync, rename, fsync the folder), done from this Python
process with no parsing at all.

Needs: a release build of tokenctl (built unless --bin is given), htpasswd, PyYAML with
libyaml (`pip install pyyaml`), /usr/bin/time (Debian package `time`).
"""

import argparse
import base64
import datetime
import hashlib
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The config-management job: load, change one key, dump, atomic rename.
PYYAML_SCRIPT = r'''
import os, sys, tempfile, yaml
path, name = sys.argv[1], sys.argv[2]
with open(path) as f:
    data = yaml.load(f, Loader=yaml.CSafeLoader)
data["apiKeys"][name]["description"] = "changed by config management"
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".pyyaml-")
with os.fdopen(fd, "w") as f:
    yaml.dump(data, f, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False)
    f.flush()
    os.fsync(f.fileno())
os.rename(tmp, path)
'''

PERMISSION_SETS = [
    "[dns:read]",
    "[dns:read, dns:write]",
    "[domains:read]",
    "[dns:write, domains:read, domains:write]",
    "['*']",
]
TEAMS = ["deploy", "billing", "monitoring", "backup", "search", "mail", "cdn"]


def token(i):
    """A deterministic token of tokenctl's form (prefix tk) for key number i."""
    body = hashlib.sha256(f"bench-secret-{i}".encode()).hexdigest()
    check = hashlib.sha256(f"tk_{body}".encode()).hexdigest()[:8]
    return f"tk_{body}{check}"


def key_name(i):
    return f"svc-{i:06d}"


def security_yml(n):
    """A realistic security.yml of n keys: a comment or two, a catalog, flow permission lists,
    an occasional expiry, disabled key or block list, about 220 bytes a key."""
    out = [
        "# API keys of tenant bench; managed by tokenctl and config management\n",
        "version: 1\n",
        "permissions: [dns:read, dns:write, domains:read, domains:write]\n",
        "apiKeys:\n",
    ]
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    for i in range(n):
        team = TEAMS[i % len(TEAMS)]
        created = base + datetime.timedelta(minutes=37 * i)
        out.append(f"  {key_name(i)}:\n")
        if i % 50 == 0:
            out.append(f"    # owner: {team} team\n")
        out.append(f"    description: {team.capitalize()} job {i} in eu-west\n")
        if i % 13 == 0:
            out.append("    enabled: false\n")
        if i % 17 == 0:
            out.append("    permissions:\n      - dns:read\n      - domains:read\n")
        else:
            out.append(f"    permissions: {PERMISSION_SETS[i % len(PERMISSION_SETS)]}\n")
        digest = hashlib.sha256(token(i).encode()).hexdigest()
        out.append(f"    hash: sha256:{digest}\n")
        out.append(f"    createdAt: {created:%Y-%m-%dT%H:%M:%SZ}\n")
        if i % 10 == 0:
            out.append(f"    expiresAt: {created + datetime.timedelta(days=400):%Y-%m-%dT%H:%M:%SZ}\n")
    return "".join(out)


def htpasswd_file(n):
    """The same number of users as `htpasswd -s` writes them: user:{SHA}base64(sha1(pw))."""
    lines = []
    for i in range(n):
        pw = f"password-{i}".encode()
        lines.append(f"user-{i:06d}:{{SHA}}{base64.b64encode(hashlib.sha1(pw).digest()).decode()}\n")
    return "".join(lines)


class Bench:
    """One benchmark: a command line, an optional stdin file, and whether it writes."""

    def __init__(self, name, tool, argv, pristine=None, work=None, stdin=None, expect=0):
        self.name, self.tool, self.argv = name, tool, argv
        self.pristine, self.work, self.stdin, self.expect = pristine, work, stdin, expect
        self.times = []
        self.peak_kb = None

    def restore(self):
        if self.pristine:
            shutil.copyfile(self.pristine, self.work)
            os.chmod(self.work, 0o600)

    def run_once(self):
        self.restore()
        stdin = open(self.stdin, "rb") if self.stdin else subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            rc = subprocess.run(self.argv, stdin=stdin, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE).returncode
            elapsed = time.perf_counter() - t0
        finally:
            if self.stdin:
                stdin.close()
        if rc != self.expect:
            # Run again to show why; the failure is the benchmark's bug, not a figure.
            self.restore()
            p = subprocess.run(self.argv, stdin=open(self.stdin, "rb") if self.stdin else None,
                               capture_output=True, text=True)
            sys.exit(f"{self.name}: exit {p.returncode}, expected {self.expect}\n"
                     f"  {' '.join(self.argv)}\n{p.stderr}")
        return elapsed

    def measure_memory(self):
        self.restore()
        with tempfile.NamedTemporaryFile("r") as out:
            stdin = open(self.stdin, "rb") if self.stdin else subprocess.DEVNULL
            subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%M"] + self.argv,
                           stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self.stdin:
                stdin.close()
            self.peak_kb = int(out.read().strip().splitlines()[-1])


def tokenctl_supports(binary, sub):
    return subprocess.run([binary, sub, "--help"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


class Floor(Bench):
    """The in-process floor of a write, timed like a benchmark, in the same rounds."""

    def __init__(self, pristine, work):
        super().__init__("floor: lock, read, write, fsync, rename, fsync folder", "floor",
                         [], pristine=pristine, work=work)

    def run_once(self):
        import fcntl
        self.restore()
        d = os.path.dirname(self.work) or "."
        t0 = time.perf_counter()
        lock = os.open(self.work + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(self.work, "rb") as f:
            data = f.read()
        tmp = self.work + ".floor-tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        os.rename(tmp, self.work)
        dfd = os.open(d, os.O_RDONLY)
        os.fsync(dfd)
        os.close(dfd)
        os.close(lock)
        return time.perf_counter() - t0

    def measure_memory(self):
        self.peak_kb = None


WRITES = ("create", "update", "update --disable", "delete", "rotate", "apply (one change)")


def benches_for(n, binary, d, label="tokenctl", floor=True):
    """Writes the files for n keys into folder d and returns the benchmarks."""
    sec = os.path.join(d, "security.pristine.yml")
    with open(sec, "w") as f:
        f.write(security_yml(n))
    htp = os.path.join(d, "htpasswd.pristine")
    with open(htp, "w") as f:
        f.write(htpasswd_file(n))
    token_file = os.path.join(d, "token")
    with open(token_file, "w") as f:
        f.write(token(n - 1))  # the last key: the worst case for a linear lookup
    script = os.path.join(d, "pyyaml_edit.py")
    with open(script, "w") as f:
        f.write(PYYAML_SCRIPT)

    mid = key_name(n // 2)
    work = os.path.join(d, "security.yml")
    shutil.copyfile(sec, work)
    os.chmod(work, 0o600)
    hwork = os.path.join(d, "htpasswd")
    shutil.copyfile(htp, hwork)
    # The system clock: a release build has no test clock (SECURITY.md, "The clock").
    tk = [binary, "--file", work]
    suffix = "" if label == "tokenctl" else f" ({label})"

    def write(name, args):
        return Bench(name + suffix, label, tk + args, pristine=sec, work=work)

    def read(name, argv, stdin=None):
        # Restored too: a write benchmark (PyYAML's above all) may have just rewritten it.
        return Bench(name + suffix, label, argv, pristine=sec, work=work, stdin=stdin)

    out = [
        write("create", ["create", "new-key", "--permission", "dns:read",
                         "--description", "made by the benchmark", "--quiet"]),
        write("update", ["update", mid, "--description", "changed by the benchmark"]),
        write("update --disable", ["update", key_name(n // 2 + 1), "--disable"]),
        write("delete", ["delete", mid, "--yes"]),
        write("rotate", ["rotate", mid, "--quiet"]),
        read("verify", tk + ["verify"], stdin=token_file),
        read("list --format json", tk + ["list", "--format", "json"]),
        read("check", tk + ["check", work]),
    ]
    if tokenctl_supports(binary, "apply"):
        apply = apply_bench(tk, sec, work, d, mid, label, suffix)
        if apply:
            out.append(apply)
    if not floor:
        return out
    out.append(Floor(sec, work))
    out += [
        Bench("htpasswd -b -s (add)", "htpasswd",
              ["htpasswd", "-b", "-s", hwork, "new-user", "new-password"], pristine=htp, work=hwork),
        Bench("htpasswd -D (delete)", "htpasswd",
              ["htpasswd", "-D", hwork, f"user-{n // 2:06d}"], pristine=htp, work=hwork),
        Bench("htpasswd -v -b (verify)", "htpasswd",
              ["htpasswd", "-v", "-b", hwork, f"user-{n - 1:06d}", f"password-{n - 1}"],
              pristine=htp, work=hwork),
        Bench("PyYAML load+edit+dump", "pyyaml",
              [sys.executable, script, work, mid], pristine=sec, work=work),
    ]
    return out


def apply_bench(tk, sec, work, d, mid, label, suffix):
    """`apply` with one change. The desired-state file is tried in the two shapes docs/FORMAT.md
    allows a reading of (bare key mapping, or under apiKeys); the one apply accepts is used."""
    body = f"  {mid}:\n    description: changed by the benchmark\n"
    for i, text in enumerate([f"apiKeys:\n{body}", body.replace("\n  ", "\n").lstrip()]):
        desired = os.path.join(d, f"desired{i}.yml")
        with open(desired, "w") as f:
            f.write(text)
        shutil.copyfile(sec, work)
        p = subprocess.run(tk + ["apply", "-f", desired], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if p.returncode == 0:
            return Bench("apply (one change)" + suffix, label, tk + ["apply", "-f", desired],
                         pristine=sec, work=work)
    print(f"note: `tokenctl apply` exists but accepted neither desired-state shape: {p.stderr}",
          file=sys.stderr)
    return None


def runs_for(n, quick):
    if quick:
        return 5
    return {100: 41, 1000: 31, 10000: 15}.get(n, 5)


def fmt_ms(s):
    return f"{s * 1000:.1f}" if s >= 0.01 else f"{s * 1000:.2f}"


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
            f"load average {load:.2f} at start, "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")


def table(n, size, benches):
    by = {b.name: b for b in benches}
    add = statistics.median(by["htpasswd -b -s (add)"].times)
    py = statistics.median(by["PyYAML load+edit+dump"].times)
    floor = statistics.median(next(b for b in benches if b.tool == "floor").times)
    rows = [f"### {n:,} keys (security.yml {size / 1e6:.2f} MB)", "",
            "| benchmark | median ms | min ms | runs | peak RSS MB | vs htpasswd add "
            "| vs floor | PyYAML / this |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for b in benches:
        med = statistics.median(b.times)
        mem = f"{b.peak_kb / 1024:.1f}" if b.peak_kb is not None else "-"
        ours = b.tool not in ("htpasswd", "pyyaml", "floor")
        ratio = f"{med / add:.2f}x" if ours else "-"
        vs_floor = f"{med / floor:.1f}x" if ours and b.name.split(" (")[0] in WRITES else "-"
        speedup = f"{py / med:.0f}x" if ours else "-"
        rows.append(f"| {b.name} | {fmt_ms(med)} | {fmt_ms(min(b.times))} | {len(b.times)} "
                    f"| {mem} | {ratio} | {vs_floor} | {speedup} |")
    return "\n".join(rows) + "\n"


def targets(results):
    """The targets of issues 7 and 10, judged on these figures (tokenctl, not a baseline)."""
    lines = []
    med = {n: {b.name: statistics.median(b.times) for b in bs} for n, (_, bs) in results.items()}
    peak = {n: {b.name: b.peak_kb for b in bs} for n, (_, bs) in results.items()}
    tok = [b.name for b in next(iter(results.values()))[1] if b.tool == "tokenctl"]
    writing = [t for t in tok if t in WRITES]

    def mark(ok):
        return "met" if ok else "NOT met"

    if 10000 in med:
        m = med[10000]
        add, py = m["htpasswd -b -s (add)"], m["PyYAML load+edit+dump"]
        floor = next(v for k, v in m.items() if k.startswith("floor"))
        worst_w = max(writing, key=lambda t: m[t])
        lines.append(f"- 10,000 keys, every write within 5x htpasswd add ({fmt_ms(add)} ms): "
                     f"worst {worst_w} {m[worst_w] / add:.2f}x: {mark(m[worst_w] <= 5 * add)}")
        lines.append(f"- 10,000 keys, writes against the in-process floor ({fmt_ms(floor)} ms): "
                     + ", ".join(f"{t} {m[t] / floor:.1f}x" for t in writing))
        judged = writing + [t for t in tok if t in ("verify", "list --format json")]
        worst = max(judged, key=lambda t: m[t])
        lines.append(f"- 10,000 keys, writing commands, verify and list within 4x of htpasswd "
                     f"add: worst {worst} {m[worst] / add:.2f}x: {mark(m[worst] <= 4 * add)}")
        slowest_w = max(writing, key=lambda t: m[t])
        lines.append(f"- 10,000 keys, every writing command 40x faster than PyYAML "
                     f"({fmt_ms(py)} ms): slowest {slowest_w} {py / m[slowest_w]:.0f}x: "
                     f"{mark(py / m[slowest_w] >= 40)}")
    if 100 in med:
        worst = max(tok, key=lambda t: med[100][t])
        lines.append(f"- 100 keys, every command under 5 ms: worst {worst} "
                     f"{fmt_ms(med[100][worst])} ms: {mark(med[100][worst] < 0.005)}")
    if 100000 in med and 10000 in med:
        growth = {t: med[100000][t] / med[10000][t] for t in tok}
        worst = max(growth, key=growth.get)
        lines.append(f"- 100,000 vs 10,000 keys, no worse than linear (10x): worst {worst} "
                     f"{growth[worst]:.1f}x: {mark(growth[worst] <= 10)}")
        size = results[100000][0]
        worst_mem = max(tok, key=lambda t: peak[100000][t] or 0)
        ratio = peak[100000][worst_mem] * 1024 / size
        lines.append(f"- 100,000 keys, peak memory under 10x the file ({size / 1e6:.1f} MB): "
                     f"worst {worst_mem} {peak[100000][worst_mem] / 1024:.1f} MB = {ratio:.1f}x: "
                     f"{mark(ratio < 10)}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="100 and 1,000 keys, 5 runs each: a smoke test")
    ap.add_argument("--sizes", help="comma-separated key counts (default 100,1000,10000,100000)")
    ap.add_argument("--runs", type=int, help="runs per benchmark (default by size)")
    ap.add_argument("--bin", help="tokenctl binary (default: cargo build --release)")
    ap.add_argument("--baseline", help="another tokenctl binary, run in the same rounds "
                    "(before and after a change)")
    ap.add_argument("--markdown", help="also write the results as markdown to this file")
    args = ap.parse_args()

    import importlib.util
    if importlib.util.find_spec("yaml") is None:
        sys.exit("PyYAML is missing: pip install pyyaml")
    import yaml
    if not yaml.__with_libyaml__:
        sys.exit("PyYAML lacks libyaml (CSafeLoader); install libyaml-dev and reinstall pyyaml")
    for tool in ("htpasswd", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (Debian: apt-get install apache2-utils time)")

    binary = args.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "tokenctl")
    binary = os.path.abspath(binary)

    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else [100, 1000] if args.quick else [100, 1000, 10000, 100000])
    header = ["## Results", "", f"Machine: {machine()}.", "",
              f"Command: `python3 benches/bench.py{' --quick' if args.quick else ''}"
              f"{' --sizes ' + args.sizes if args.sizes else ''}"
              f"{' --baseline ' + args.baseline if args.baseline else ''}`; "
              "whole-process wall time, runs alternating between tools, median.", ""]
    print("\n".join(header))
    results = {}
    parts = []
    with tempfile.TemporaryDirectory(prefix="tokenctl-bench-") as d:
        for n in sizes:
            sub = os.path.join(d, str(n))
            os.mkdir(sub)
            benches = benches_for(n, binary, sub)
            if args.baseline:
                base = os.path.join(sub, "baseline")
                os.mkdir(base)
                benches += benches_for(n, os.path.abspath(args.baseline), base,
                                       label="baseline", floor=False)
            size = os.path.getsize(os.path.join(sub, "security.pristine.yml"))
            runs = args.runs or runs_for(n, args.quick)
            for b in benches:  # warm-up: page cache, and any one-time setup
                b.run_once()
            # Each round in its own order (seeded, so a run can be repeated): a process that
            # runs right after PyYAML's, which holds some 30 times the file, pays the kernel for
            # the pages it frees; a fixed order would charge that to the same command every
            # round and make it look as if it grew faster than the file.
            order = random.Random(n)
            for _ in range(runs):
                for b in order.sample(benches, len(benches)):
                    b.times.append(b.run_once())
            for b in benches:
                b.measure_memory()
            results[n] = (size, benches)
            part = table(n, size, benches)
            parts.append(part)
            print(part, flush=True)
    summary = "### Targets (issues 7 and 10)\n\n" + targets(results)
    print(summary)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(header) + "\n" + "\n".join(parts) + "\n" + summary)


if __name__ == "__main__":
    main()
