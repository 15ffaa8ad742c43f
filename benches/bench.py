#!/usr/bin/env python3
"""Benchmark tokenctl against htpasswd (apache2-utils) and a PyYAML (libyaml) script.

Every figure is the wall time of a whole process, as a script calling the tool would see
it. For each file size the benchmarks run in rounds, one run of every benchmark per round in a shuffled order
(so the tools alternate and share whatever load the machine has), and the median is kept.
Write benchmarks restore the file from a pristine copy before every run, outside the timed
region. Peak memory is one extra run of each under `/usr/bin/time -f %M`.

    python3 benches/bench.py                 # 100, 1,000, 10,000, 100,000 keys
    python3 benches/bench.py --sizes 10000,100000 --bin target/release/tokenctl  # issue 25's sizes
    python3 benches/bench.py --quick         # 100 and 1,000 keys, few runs (CI smoke test)
    python3 benches/bench.py --markdown out.md
    python3 benches/bench.py --baseline old/tokenctl   # before and after, in the same rounds

Every command is set against the floor, measured in the same rounds: what any writer that
promises what tokenctl promises must do at the least. The floor is a C program that this
script builds (`cc -O2`, into its temporary folder): it takes the lock (flock of a `.lock`
file), reads the whole file, appends one new entry (the 214 bytes `create` adds, in the same
shape), writes a temporary file, fsyncs it, renames it over the file and fsyncs the folder.
It runs as a process, like tokenctl. Beside it, the older in-process floor (the same steps
from this Python process, no append, no process start) is kept for comparison with earlier
figures; without a C compiler it is the only floor, and the output says so.

After the rounds, `cargo bench --bench load` (benches/load.rs) times `Verifier::load` against
reading and SHA-256 hashing the same files (its source is this checkout's library, not
--bin; --no-load skips it, --quick skips it unless --load is given). PyYAML runs only on
files of up to 10,000 keys (--pyyaml-max).

Needs: a release build of tokenctl (built unless --bin is given), htpasswd, PyYAML with
libyaml (`pip install pyyaml`), /usr/bin/time (Debian package `time`), a C compiler (cc).
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


def new_entry(n):
    """The entry the C floor appends to a file of n keys: what `create new-key --permission
    dns:read --description "made by the benchmark"` adds (214 bytes, the file's average
    is about 219), with the hash of a token the file does not hold."""
    digest = hashlib.sha256(token(n).encode()).hexdigest()
    return ("  new-key:\n"
            "    description: made by the benchmark\n"
            "    enabled: true\n"
            "    permissions: [dns:read]\n"
            f"    hash: sha256:{digest}\n"
            "    createdAt: 2026-12-06T00:00:00Z\n")


# The floor of a write, as a process (argv: FILE ENTRY): lock, read the whole file, append
# ENTRY, write a temporary file, fsync it, rename it over FILE, fsync the folder.
FLOOR_C = r"""
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: floor FILE ENTRY\n"); return 2; }
  const char *path = argv[1], *entry = argv[2];
  char lockp[4096], tmp[4096], dirb[4096];
  snprintf(lockp, sizeof lockp, "%s.lock", path);
  snprintf(tmp, sizeof tmp, "%s.floor-tmp", path);
  snprintf(dirb, sizeof dirb, "%s", path);
  int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX)) { perror("lock"); return 1; }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st)) { perror("open"); return 1; }
  size_t elen = strlen(entry);
  char *buf = malloc((size_t)st.st_size + elen);
  if (!buf) { perror("malloc"); return 1; }
  size_t got = 0;
  for (;;) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r < 0) { perror("read"); return 1; }
    if (r == 0) break;
    got += (size_t)r;
    if (got == (size_t)st.st_size) break;
  }
  close(fd);
  memcpy(buf + got, entry, elen);
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) { perror("open temp"); return 1; }
  size_t put = 0, len = got + elen;
  while (put < len) {
    ssize_t w = write(out, buf + put, len - put);
    if (w <= 0) { perror("write"); return 1; }
    put += (size_t)w;
  }
  if (fsync(out) || close(out)) { perror("fsync"); return 1; }
  if (rename(tmp, path)) { perror("rename"); return 1; }
  int d = open(dirname(dirb), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0 || fsync(d)) { perror("fsync folder"); return 1; }
  close(d);
  close(lock);
  free(buf);
  return 0;
}
"""


def build_floor(d):
    """Builds the C floor into folder d; None (with a note) when there is no C compiler."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        print("note: no C compiler (cc, gcc, clang): the floor is the Python in-process one, "
              "which starts no process and appends nothing: ratios to it are not issue 25's",
              file=sys.stderr)
        return None
    src, exe = os.path.join(d, "floor.c"), os.path.join(d, "floor")
    with open(src, "w") as f:
        f.write(FLOOR_C)
    p = subprocess.run([cc, "-O2", "-o", exe, src], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"note: `{cc} -O2` failed to build the C floor; the floor is the Python "
              f"in-process one:\n{p.stderr}", file=sys.stderr)
        return None
    return exe


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


C_FLOOR = "floor (C): lock, read, append, write, fsync, rename, fsync folder"
PY_FLOOR = "floor (Python, in process, no append)"


class PyFloor(Bench):
    """The in-process floor of a write, timed like a benchmark, in the same rounds."""

    def __init__(self, pristine, work):
        super().__init__(PY_FLOOR, "pyfloor", [], pristine=pristine, work=work)

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


def benches_for(n, binary, d, label="tokenctl", floor=None, pyyaml=True):
    """Writes the files for n keys into folder d and returns the benchmarks: tokenctl's
    commands, and unless floor is False the contenders (floor: the C floor's executable, or
    None for the Python one only)."""
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
    if floor is False:
        return out
    if floor:
        out.append(Bench(C_FLOOR, "floor", [floor, work, new_entry(n)], pristine=sec, work=work))
    out.append(PyFloor(sec, work))
    out += [
        Bench("htpasswd -b -s (add)", "htpasswd",
              ["htpasswd", "-b", "-s", hwork, "new-user", "new-password"], pristine=htp, work=hwork),
        Bench("htpasswd -D (delete)", "htpasswd",
              ["htpasswd", "-D", hwork, f"user-{n // 2:06d}"], pristine=htp, work=hwork),
        Bench("htpasswd -v -b (verify)", "htpasswd",
              ["htpasswd", "-v", "-b", hwork, f"user-{n - 1:06d}", f"password-{n - 1}"],
              pristine=htp, work=hwork),
    ]
    if pyyaml:
        out.append(Bench("PyYAML load+edit+dump", "pyyaml",
                         [sys.executable, script, work, mid], pristine=sec, work=work))
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
    """Rounds for a file of n keys: many where a run is short; at 100,000 keys 11 (the issue's
    harness used 5; a round there is some 3 to 5 s without PyYAML, and a shared machine's
    noise needs more than 5)."""
    if quick:
        return 5
    for limit, runs in ((100, 41), (1000, 31), (10000, 15), (100000, 11)):
        if n <= limit:
            return runs
    return 5


def fmt_ms(s):
    return f"{s * 1000:.1f}" if s >= 0.01 else f"{s * 1000:.2f}"


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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
    return (f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
            f"load average {loadavg()} (1, 5, 15 min) at start, "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")


def floor_of(benches):
    """The floor ratios are taken to: the C floor, or the Python one where there is none."""
    return (next((b for b in benches if b.tool == "floor"), None)
            or next(b for b in benches if b.tool == "pyfloor"))


def ours(b):
    return b.tool not in ("htpasswd", "pyyaml", "floor", "pyfloor")


def table(n, size, benches):
    by = {b.name: b for b in benches}
    add = statistics.median(by["htpasswd -b -s (add)"].times)
    py = statistics.median(by["PyYAML load+edit+dump"].times) if "PyYAML load+edit+dump" in by else None
    ref = floor_of(benches)
    floor = statistics.median(ref.times)
    rows = [f"### {n:,} keys (security.yml {size / 1e6:.2f} MB)", "",
            f"vs floor: median over the median of `{ref.name}`, same rounds. "
            f"Load average after this size: {loadavg()}.", "",
            "| benchmark | median ms | min ms | runs | vs floor | peak RSS MB | RSS / file "
            "| vs htpasswd add |" + (" PyYAML / this |" if py else ""),
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if py else "")]
    for b in benches:
        med = statistics.median(b.times)
        mem = f"{b.peak_kb / 1024:.1f}" if b.peak_kb is not None else "-"
        per_file = f"{b.peak_kb * 1024 / size:.1f}x" if b.peak_kb is not None else "-"
        ratio = f"{med / add:.2f}x" if ours(b) else "-"
        vs_floor = f"{med / floor:.1f}x" if b is not ref else "-"
        row = (f"| {b.name} | {fmt_ms(med)} | {fmt_ms(min(b.times))} | {len(b.times)} "
               f"| {vs_floor} | {mem} | {per_file} | {ratio} |")
        if py:
            row += f" {py / med:.0f}x |" if ours(b) else " - |"
        rows.append(row)
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
        add, py = m["htpasswd -b -s (add)"], m.get("PyYAML load+edit+dump")
        ref = floor_of(results[10000][1])
        floor = m[ref.name]
        worst_w = max(writing, key=lambda t: m[t])
        lines.append(f"- 10,000 keys, every write within 5x htpasswd add ({fmt_ms(add)} ms): "
                     f"worst {worst_w} {m[worst_w] / add:.2f}x: {mark(m[worst_w] <= 5 * add)}")
        lines.append(f"- 10,000 keys, writes against the {ref.name.split(':')[0]} "
                     f"({fmt_ms(floor)} ms): "
                     + ", ".join(f"{t} {m[t] / floor:.1f}x" for t in writing))
        judged = writing + [t for t in tok if t in ("verify", "list --format json")]
        worst = max(judged, key=lambda t: m[t])
        lines.append(f"- 10,000 keys, writing commands, verify and list within 4x of htpasswd "
                     f"add: worst {worst} {m[worst] / add:.2f}x: {mark(m[worst] <= 4 * add)}")
        if py:
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


SMALL, BIG = 10000, 100000


def issue25(results, mem100, load, binary):
    """Issue 25's pass lines, judged on these figures: every command (tokenctl's; a baseline's
    rows are shown, not judged) within 3x the floor at 100,000 keys, growing from 10,000 to
    100,000 no faster than 1.5x the floor's growth, peak RSS under 4x the file at 100,000;
    the constant at 100 keys; Verifier::load within 3x of reading and hashing at 10,000."""
    med = {n: {b.name: statistics.median(b.times) for b in bs} for n, (_, bs) in results.items()}
    low = {n: {b.name: min(b.times) for b in bs} for n, (_, bs) in results.items()}
    peak = {n: {b.name: b.peak_kb for b in bs} for n, (_, bs) in results.items()}
    any_bs = next(iter(results.values()))[1]
    ref = floor_of(any_bs).name
    rows_of = [b.name for b in any_bs if ours(b)] + [
        b.name for b in any_bs if not ours(b) and b.tool != "pyyaml"]
    judged = [b.name for b in any_bs if b.tool == "tokenctl"]
    small, big = SMALL in med, BIG in med
    floor_growth = med[BIG][ref] / med[SMALL][ref] if small and big else None

    def cell(v, fmt="{:.1f}"):
        return "-" if v is None else fmt.format(v)

    out = ["### Issue 25: every command against the floor", "",
           f"Floor: `{ref}`. Pass lines: at 100,000 keys within 3x the floor; growth from "
           "10,000 to 100,000 keys within 1.5x of the floor's growth; peak RSS under 4x the "
           "file at 100,000 keys. RSS at 100 keys is the constant. Times are medians; \"min / floor "
           "min\" (the fastest run over the floor's fastest) is there to read a noisy machine "
           "by, not judged.", "",
           "| command | 10k ms | 10k / floor | 100k ms | 100k / floor | 100k min / floor min "
           "| growth | growth / floor's | peak RSS 100k MB | 100k RSS / file "
           "| peak RSS 100 keys MB |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    verdicts = {"floor": [], "growth": [], "rss": []}
    for name in rows_of:
        s = med.get(SMALL, {}).get(name)
        b = med.get(BIG, {}).get(name)
        fs = s / med[SMALL][ref] if s is not None else None
        fb = b / med[BIG][ref] if b is not None else None
        fb_min = low[BIG][name] / low[BIG][ref] if b is not None else None
        growth = b / s if s is not None and b is not None else None
        g_ratio = growth / floor_growth if growth is not None and floor_growth else None
        pk = peak.get(BIG, {}).get(name)
        per_file = pk * 1024 / results[BIG][0] if pk is not None else None
        small_pk = mem100.get(name)
        if name in judged:
            if fb is not None:
                verdicts["floor"].append((name, fb, fb <= 3))
            if g_ratio is not None:
                verdicts["growth"].append((name, growth, g_ratio <= 1.5))
            if per_file is not None:
                verdicts["rss"].append((name, per_file, per_file < 4))
        out.append(
            f"| {name} | {fmt_ms(s) if s is not None else '-'} | {cell(fs, '{:.1f}x')} "
            f"| {fmt_ms(b) if b is not None else '-'} | {cell(fb, '{:.1f}x')} "
            f"| {cell(fb_min, '{:.1f}x')} "
            f"| {cell(growth, '{:.1f}x')} | {cell(g_ratio, '{:.2f}')} "
            f"| {cell(pk and pk / 1024)} | {cell(per_file, '{:.1f}x')} "
            f"| {cell(small_pk and small_pk / 1024)} |")

    def line(key, what, unit, missing):
        v = verdicts[key]
        if not v:
            return f"n/a   {what}: not measured ({missing})"
        worst = max(v, key=lambda x: x[1])
        over = [f"{n} {x:.1f}{unit}" for n, x, ok in v if not ok]
        ok = not over
        return (f"{'PASS' if ok else 'FAIL'}  {what}: worst {worst[0]} {worst[1]:.1f}{unit}"
                + ("" if ok else f"; over the line: {', '.join(over)}"))

    need = "needs --sizes with 10000 and 100000"
    summary = ["### Issue 25 targets (" + binary + ")", ""]
    if big:
        summary.append(line("floor", f"100,000 keys, every command within 3x the floor "
                            f"({fmt_ms(med[BIG][ref])} ms)", "x", need))
    else:
        summary.append(f"n/a   100,000 keys, every command within 3x the floor ({need})")
    if floor_growth:
        summary.append(line("growth", f"10,000 -> 100,000 keys, every command grows within 1.5x "
                            f"of the floor's {floor_growth:.1f}x (<= {1.5 * floor_growth:.1f}x)",
                            "x", need))
    else:
        summary.append(f"n/a   growth 10,000 -> 100,000 keys within 1.5x the floor's ({need})")
    if big:
        summary.append(line("rss", f"100,000 keys, every command's peak RSS under 4x the file "
                            f"({results[BIG][0] / 1e6:.1f} MB)", "x", need))
    else:
        summary.append(f"n/a   100,000 keys, peak RSS under 4x the file ({need})")
    consts = {n: v for n, v in mem100.items() if n in judged and v is not None}
    if consts:
        hi = max(consts, key=consts.get)
        summary.append(f"info  constant at 100 keys: peak RSS {min(consts.values()) / 1024:.1f} "
                       f"to {consts[hi] / 1024:.1f} MB ({hi} the most)")
    at10k = next((r for r in load if r["keys"] == SMALL), None)
    if at10k:
        ratio = at10k["load"] / at10k["floor"]
        summary.append(f"{'PASS' if ratio <= 3 else 'FAIL'}  10,000 keys, Verifier::load within "
                       f"3x of read + SHA-256 ({fmt_ms(at10k['floor'])} ms): "
                       f"{fmt_ms(at10k['load'])} ms = {ratio:.1f}x")
    else:
        summary.append("n/a   10,000 keys, Verifier::load within 3x of read + SHA-256 "
                       "(not measured: needs 10000 in --sizes, and the load bench)")
    return "\n".join(out) + "\n", "\n".join(summary) + "\n"


def load_table(load, source):
    rows = ["### Verifier::load against reading and hashing the file", "",
            f"benches/load.rs (`cargo bench --bench load`), the library of {source}; interleaved "
            "rounds, medians; (a) `std::fs::read` + `Sha256::digest`, (b) `Verifier::load`, with "
            "mimalloc, the allocator of the tokenctl binary and so of the `serve` gate that "
            "reloads (`cargo bench --bench load --no-default-features` measures the system "
            "allocator, as a library user who keeps it gets).", "",
            "| keys | file MB | rounds | read + SHA-256 ms | Verifier::load ms | ratio |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in load:
        rows.append(f"| {r['keys']:,} | {r['size'] / 1e6:.2f} | {r['rounds']} "
                    f"| {fmt_ms(r['floor'])} | {fmt_ms(r['load'])} "
                    f"| {r['load'] / r['floor']:.1f}x |")
    return "\n".join(rows) + "\n"


def load_command(args):
    if args.load_bin:
        return [os.path.abspath(args.load_bin)]
    return ["cargo", "bench", "--quiet", "--bench", "load", "--"]


def build_load(args):
    """Builds benches/load.rs before the rounds (so a compile never runs beside them);
    False, with a note, when it cannot be built."""
    if args.load_bin:
        return True
    p = subprocess.run(["cargo", "bench", "--quiet", "--bench", "load", "--no-run"], cwd=ROOT)
    if p.returncode != 0:
        print("note: benches/load.rs did not build: no Verifier::load figures", file=sys.stderr)
        return False
    return True


def run_load(args, n, path):
    """One size of benches/load.rs: {keys, size, rounds, floor, load} (seconds), or None."""
    p = subprocess.run(load_command(args) + ["--tsv", "--file", f"{n}={path}"], cwd=ROOT,
                       stdout=subprocess.PIPE, text=True)
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if p.returncode == 0 and f[0] == "load" and len(f) == 6:
            return {"keys": int(f[1]), "size": int(f[2]), "rounds": int(f[3]),
                    "floor": float(f[4]), "load": float(f[5])}
    print(f"note: benches/load.rs failed at {n} keys (exit {p.returncode})", file=sys.stderr)
    return None


def source_tree():
    """The checkout whose library benches/load.rs measures: path, commit, dirty or not."""
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    return f"{ROOT} at {head}{' (src/ modified)' if dirty else ''}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="100 and 1,000 keys, 5 runs each: a smoke test")
    ap.add_argument("--sizes", help="comma-separated key counts (default 100,1000,10000,100000)")
    ap.add_argument("--runs", type=int, help="runs per benchmark (default by size: 41 at 100 "
                    "keys, 31 at 1,000, 15 at 10,000, 11 at 100,000, 5 beyond)")
    ap.add_argument("--bin", help="tokenctl binary (default: cargo build --release)")
    ap.add_argument("--baseline", help="another tokenctl binary, run in the same rounds "
                    "(before and after a change)")
    ap.add_argument("--pyyaml-max", type=int, default=10000, metavar="KEYS",
                    help="run the PyYAML contender only on files of at most KEYS keys (default "
                    "10,000; 0: never). At 100,000 keys one run takes 10 to 40 s and holds "
                    "~700 MB, which the process run after it pays for in page faults")
    ap.add_argument("--load", action="store_true",
                    help="run benches/load.rs (Verifier::load) even with --quick")
    ap.add_argument("--no-load", action="store_true", help="do not run benches/load.rs")
    ap.add_argument("--load-bin", help="a built benches/load.rs executable, instead of "
                    "`cargo bench --bench load` in this checkout")
    ap.add_argument("--markdown", help="also write the results as markdown to this file")
    args = ap.parse_args()

    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes
             else [100, 1000] if args.quick else [100, 1000, 10000, 100000])
    if any(n <= args.pyyaml_max for n in sizes):
        import importlib.util
        if importlib.util.find_spec("yaml") is None:
            sys.exit("PyYAML is missing: pip install pyyaml (or --pyyaml-max 0)")
        import yaml
        if not yaml.__with_libyaml__:
            sys.exit("PyYAML lacks libyaml (CSafeLoader); install libyaml-dev and reinstall "
                     "pyyaml (or --pyyaml-max 0)")
    for tool in ("htpasswd", "/usr/bin/time"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (Debian: apt-get install apache2-utils time)")

    binary = args.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "tokenctl")
    binary = os.path.abspath(binary)

    with_load = not args.no_load and (args.load or not args.quick) and build_load(args)
    header = ["## Results", "", f"Machine: {machine()}.", "",
              f"tokenctl: `{binary}`"
              + (f"; baseline: `{os.path.abspath(args.baseline)}`" if args.baseline else "") + ".",
              "",
              f"Command: `python3 benches/bench.py {' '.join(sys.argv[1:])}`; "
              "whole-process wall time, every contender once a round in a shuffled (seeded) "
              "order, median over rounds; peak RSS from one more run under /usr/bin/time.", ""]
    print("\n".join(header), flush=True)
    results = {}
    parts = []
    mem100 = {}
    load = []
    with tempfile.TemporaryDirectory(prefix="tokenctl-bench-") as d:
        floor = build_floor(d) or None
        for n in sizes:
            sub = os.path.join(d, str(n))
            os.mkdir(sub)
            benches = benches_for(n, binary, sub, floor=floor, pyyaml=n <= args.pyyaml_max)
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
        # The constant: peak RSS at 100 keys, one run of each command (measured above if 100
        # is one of the sizes).
        if 100 in results:
            mem100 = {b.name: b.peak_kb for b in results[100][1]}
        else:
            sub = os.path.join(d, "100-memory")
            os.mkdir(sub)
            small = benches_for(100, binary, sub, floor=False)
            if args.baseline:
                base = os.path.join(sub, "baseline")
                os.mkdir(base)
                small += benches_for(100, os.path.abspath(args.baseline), base,
                                     label="baseline", floor=False)
            for b in small:
                b.measure_memory()
            mem100 = {b.name: b.peak_kb for b in small}
        if with_load:
            for n in sizes:
                r = run_load(args, n, os.path.join(d, str(n), "security.pristine.yml"))
                if r:
                    load.append(r)
    if load:
        part = load_table(load, source_tree())
        parts.append(part)
        print(part)
    per_command, summary25 = issue25(results, mem100, load, binary)
    if SMALL not in results and BIG not in results:
        per_command = ""  # nothing to set side by side; the summary says what is missing
    print(per_command)
    summary = ("### Targets (issues 7 and 10)\n\n" + targets(results) + "\n" + summary25
               + f"\nLoad average at end: {loadavg()} (1, 5, 15 min), "
               f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC.\n")
    print(summary)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(header) + "\n" + "\n".join(parts) + "\n" + per_command + "\n"
                    + summary)


if __name__ == "__main__":
    main()
