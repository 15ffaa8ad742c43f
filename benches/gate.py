#!/usr/bin/env python3
"""Benchmark of the gate (`tokenctl serve`'s /authz/{tenant}, issue 22) against nginx, with wrk.

Every figure is set beside its baseline from the same run, on the same machine, with the
same load generator and connections (`wrk -t1 -c16`, HTTP/1.1 kept alive, every request with
the same `Authorization: Bearer` header):

1. Requests per second and p99 latency of nginx answering `return 200` (the baseline),
   the gate's `/healthz`, and `/authz/acme?permission=dns:read` with a valid token at
   10,000 and 100,000 keys; each as a ratio to nginx's figure of the same round. Issue 22:
   at least 0.6x (under 0.4x is a failure), p99 under 1 ms.
2. End to end: nginx with `auth_request` to the gate (the recipe of docs: the three
   `X-Forwarded-*` headers set, no request body) in front of an nginx upstream, against
   the same nginx proxy without `auth_request`. Issue 22: at least 0.5x.
3. Memory: the gate's RSS (VmRSS of /proc/PID/status) at 100,000 keys after its wrk runs,
   against 3x the file's size plus a constant, the constant being the RSS of a gate at 100
   keys after the same load; and the peak while it reloads the file (VmHWM, its high-water
   mark reset just before through /proc/PID/clear_refs).
4. A reload under load at 10,000 keys: while wrk runs, the file is rewritten 10 times a
   second (`tokenctl update KEY --disable`, then `--enable`, alternately, on a key wrk does
   not use); every answer must be a 200 (wrk's "Non-2xx or 3xx responses" and socket
   errors: none), and the p99 is reported.

    python3 benches/gate.py                    # a release build (cargo build --release), 5 rounds
    python3 benches/gate.py --bin target/release/tokenctl --rounds 7 --duration 5
    python3 benches/gate.py --quick --bin target/debug/tokenctl   # CI smoke: tiny, 1 round, 1 s
    python3 benches/gate.py --markdown out.md

Method: the files are benches/bench.py's realistic security.yml (its generator), each as
tenant `acme` of a root of its own; one `tokenctl serve --no-admin` per root on 127.0.0.1
(port 0, the address read from its stdout), its access log going to a file; one nginx
(unprivileged, `daemon off`, a prefix in a temporary folder, `worker_processes auto`)
serving the baseline, the upstream and the two proxies. Every server is checked to answer
as expected (200, and `X-Tokenctl-Key` for the gate) before any timing. Then ROUNDS rounds,
in each every phase once, in an order shuffled by a seeded generator, so that a figure and
its baseline share the machine's state; figures are medians over rounds (req/s, p99, and the
ratio computed within each round). The token is in a wrk Lua script, never on a command
line. The load generator, nginx and the gate share the machine's cores.

Needs: wrk and nginx (Debian: apt-get install wrk nginx), a tokenctl with the gate (built
with `cargo build --release` unless --bin is given), python3 (bench.py's generator).
"""

import argparse
import datetime
import os
import random
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# bench.py's generator, imported from beside this file, without leaving a __pycache__ there.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, key_name, loadavg, machine, security_yml, token  # noqa: E402

NGINX = "/usr/sbin/nginx"
TENANT = "acme"
PERMISSION = "dns:read"
# bench.py's key 1: enabled, never expiring, `[dns:read, dns:write]`.
KEY = 1
# The key the reload phase disables and enables again: one wrk does not use, enabled, never
# expiring, `['*']` (so a 200 when enabled, a 401 when disabled).
TOGGLED = 4
TARGET_RATIO, FAIL_RATIO, TARGET_P99_MS, TARGET_E2E = 0.6, 0.4, 1.0, 0.5
RELOADS_PER_SECOND = 10

# The token is read by wrk from this script (written with the token file's path in it), so
# that it appears on no command line and in no process listing.
WRK_LUA = """-- Every request carries the bench key's token as a Bearer token.
local f = assert(io.open("{token_file}"))
local token = f:read("*l")
f:close()
wrk.headers["Authorization"] = "Bearer " .. token
"""

NGINX_CONF = """daemon off;
worker_processes auto;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;

    upstream tokenctl_gate {{
        server {gate};
        keepalive 32;
    }}
    upstream backend {{
        server 127.0.0.1:{upstream};
        keepalive 32;
    }}

    # The baseline: nginx answering by itself.
    server {{
        listen 127.0.0.1:{plain};
        location / {{ return 200; }}
    }}

    # The upstream both proxies pass to.
    server {{
        listen 127.0.0.1:{upstream};
        location / {{ return 200; }}
    }}

    # The proxy with the gate: docs' nginx recipe.
    server {{
        listen 127.0.0.1:{guarded};
        location = /_tokenctl {{
            internal;
            proxy_pass http://tokenctl_gate/authz/{tenant}?permission={permission};
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-Method $request_method;
            proxy_set_header X-Forwarded-Uri $request_uri;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
        location / {{
            auth_request /_tokenctl;
            auth_request_set $tokenctl_key $upstream_http_x_tokenctl_key;
            proxy_set_header X-Tokenctl-Key $tokenctl_key;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://backend;
        }}
    }}

    # The same proxy without it.
    server {{
        listen 127.0.0.1:{unguarded};
        location / {{
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://backend;
        }}
    }}
}}
"""


def free_port():
    """A port free now on 127.0.0.1, for nginx (which cannot listen on port 0 and say which)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} is not listening on 127.0.0.1:{port} after {timeout} s")


def get(url, token_value=None):
    """(status, headers) of a GET, with the Bearer token if given."""
    req = urllib.request.Request(url)
    if token_value:
        req.add_header("Authorization", f"Bearer {token_value}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            return r.status, r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


class Gate:
    """One `tokenctl serve --no-admin` over a root holding tenant acme's file of n keys."""

    def __init__(self, binary, d, n, label):
        self.binary, self.n, self.label = binary, n, label
        self.root = os.path.join(d, f"root-{label}")
        os.makedirs(os.path.join(self.root, TENANT))
        self.file = os.path.join(self.root, TENANT, "security.yml")
        with open(self.file, "w") as f:
            f.write(security_yml(n))
        os.chmod(self.file, 0o600)
        self.log_path = os.path.join(d, f"serve-{label}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--root", self.root, "serve", "--no-admin", "--listen", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log)
        line = self._first_line(30)
        m = re.match(r"listening on http://(\S+)", line)
        if not m:
            self.stop()
            sys.exit(f"tokenctl serve ({label}) printed {line!r}, not `listening on "
                     f"http://ADDR`; its log: {self.log_path}")
        self.addr = m.group(1)
        self.url = f"http://{self.addr}"
        self.authz = f"{self.url}/authz/{TENANT}?permission={PERMISSION}"

    def _first_line(self, timeout):
        deadline = time.monotonic() + timeout
        out = b""
        while time.monotonic() < deadline and not out.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
            elif self.proc.poll() is not None:
                break
        return out.decode(errors="replace").strip()

    def status(self):
        """/proc/PID/status's memory lines, in kB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            return {k: int(v.split()[0]) for k, v in
                    (line.split(":", 1) for line in f if line.startswith("Vm"))}

    def reset_peak(self):
        """Resets VmHWM to the current RSS (Linux 4.0+, clear_refs 5)."""
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")

    def update(self, name, flag):
        """`tokenctl update NAME --disable|--enable` on this gate's file."""
        p = subprocess.run([self.binary, "--file", self.file, "update", name, flag],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"tokenctl update {name} {flag}: exit {p.returncode}: "
                               f"{p.stderr.strip()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Nginx:
    """nginx as this user, in a prefix of its own, for the baseline, upstream and proxies."""

    def __init__(self, d, gate_addr):
        self.d = os.path.join(d, "nginx")
        os.makedirs(self.d)
        # Readable by nginx's workers, which run as `nobody` when nginx is started as root.
        os.chmod(d, 0o755)
        os.chmod(self.d, 0o755)
        self.ports = {k: free_port() for k in ("plain", "upstream", "guarded", "unguarded")}
        conf = os.path.join(self.d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=self.d, gate=gate_addr, tenant=TENANT,
                                      permission=PERMISSION, **self.ports))
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.d, "-c", conf, "-e", os.path.join(self.d, "error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for port in self.ports.values():
            wait_for_port(port, self.proc, "nginx")

    def url(self, which):
        return f"http://127.0.0.1:{self.ports[which]}/"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(out):
    """wrk --latency's output: req/s, p99 in ms, requests, non-2xx/3xx answers, socket errors."""
    def latency(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * UNITS[m.group(2)] if m else None
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    total = re.search(r"^\s*(\d+) requests in", out, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if not rate or not total:
        sys.exit(f"cannot read wrk's output:\n{out}")
    return {
        "rate": float(rate.group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": int(total.group(1)),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def wrk(url, script, duration, connections=16):
    p = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
                        "-s", script, url], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"wrk failed ({p.returncode}) on {url}:\n{p.stdout}{p.stderr}")
    return parse_wrk(p.stdout)


def wrk_version():
    """`wrk debian/4.1.0-3+b2`: the first words of `wrk -v`."""
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return out.split(" [")[0].strip() or "wrk"


def fmt_rate(r):
    return f"{r:,.0f}"


def fmt_ms(ms):
    return "-" if ms is None else f"{ms:.2f}" if ms < 10 else f"{ms:.1f}"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def check_answers(gates, nginx, token_value):
    """Every contender answers as the phases expect, before any timing."""
    for which in ("plain", "upstream", "unguarded", "guarded"):
        status, _ = get(nginx.url(which), token_value)
        if status != 200:
            sys.exit(f"nginx's {which} server answered {status}, not 200; its error log: "
                     f"{nginx.d}/error.log")
    for gate in gates:
        status, _ = get(f"{gate.url}/healthz")
        if status != 200:
            sys.exit(f"{gate.url}/healthz answered {status}; the log: {gate.log_path}")
        status, headers = get(gate.authz, token_value)
        if status == 404:
            sys.exit(f"{gate.authz} answered 404: this tokenctl has no gate (issue 22); "
                     f"give --bin a build with `serve`'s /authz endpoint")
        if status != 200 or headers.get("X-Tokenctl-Key") != key_name(KEY):
            sys.exit(f"{gate.authz} answered {status} with X-Tokenctl-Key "
                     f"{headers.get('X-Tokenctl-Key')!r}, not 200 and {key_name(KEY)!r}; "
                     f"the log: {gate.log_path}")
        status, _ = get(gate.authz)
        if status != 401:
            sys.exit(f"{gate.authz} without a token answered {status}, not 401")


def reload_under_load(gate, script, duration):
    """wrk on the gate while the file is rewritten RELOADS_PER_SECOND times a second."""
    stop = threading.Event()
    done = {"writes": 0, "error": None, "late": 0}
    name = key_name(TOGGLED)

    def rewrite():
        period = 1.0 / RELOADS_PER_SECOND
        flags = ["--disable", "--enable"]
        next_at = time.monotonic()
        while not stop.is_set():
            try:
                gate.update(name, flags[done["writes"] % 2])
            except RuntimeError as e:
                done["error"] = str(e)
                return
            done["writes"] += 1
            next_at += period
            pause = next_at - time.monotonic()
            if pause > 0:
                stop.wait(pause)
            else:
                done["late"] += 1
                next_at = time.monotonic()

    status, _ = get(gate.authz, token(TOGGLED))
    if status != 200:
        sys.exit(f"{gate.authz} answered {status} to key {name} before the reloads, not 200")
    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        result = wrk(gate.authz, script, duration)
    finally:
        stop.set()
        writer.join()
    if done["error"]:
        sys.exit(f"the rewriter failed: {done['error']}")
    # The gate is judging on the last file written: the toggled key is enabled after an
    # even number of writes, disabled after an odd one.
    status, _ = get(gate.authz, token(TOGGLED))
    want = 401 if done["writes"] % 2 else 200
    result.update(writes=done["writes"], late=done["late"], toggled_status=status,
                  toggled_ok=status == want, duration=duration)
    return result


def verdict(ok, fail=False):
    return "PASS" if ok else "FAIL" if fail else "MISS"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="100 and 1,000 keys, 1 round of 1 s phases, no verdicts: a smoke test")
    ap.add_argument("--bin", help="tokenctl binary (default: cargo build --release)")
    ap.add_argument("--rounds", type=int, help="rounds of every phase (default 5; quick 1)")
    ap.add_argument("--duration", type=int, help="seconds of each wrk run (default 5; quick 1)")
    ap.add_argument("--markdown", help="also write the results as markdown to this file")
    args = ap.parse_args()
    for tool, package in (("wrk", "wrk"), (NGINX, "nginx")):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (Debian: apt-get install {package})")
    small, big = (100, 1000) if args.quick else (10_000, 100_000)
    rounds = args.rounds or (1 if args.quick else 5)
    duration = args.duration or (1 if args.quick else 5)
    binary = args.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "tokenctl")
    binary = os.path.abspath(binary)

    header = ["## The gate against nginx", "", f"Machine: {machine()}.", "",
              f"tokenctl: `{binary}`; {wrk_version()}; "
              f"{subprocess.run([NGINX, '-v'], capture_output=True, text=True).stderr.strip()}.", "",
              f"Command: `python3 benches/gate.py {' '.join(sys.argv[1:])}`; `wrk -t1 -c16 "
              f"-d{duration}s --latency`, {rounds} round(s), every phase once a round in a "
              "shuffled (seeded) order; medians over rounds, ratios within each round.", ""]
    print("\n".join(header), flush=True)
    parts = []
    gates = []
    nginx = None
    with tempfile.TemporaryDirectory(prefix="tokenctl-gate-") as d:
        try:
            token_file = os.path.join(d, "token")
            with open(token_file, "w") as f:
                f.write(token(KEY) + "\n")
            os.chmod(token_file, 0o600)  # read by wrk, run as this user
            script = os.path.join(d, "bearer.lua")
            with open(script, "w") as f:
                f.write(WRK_LUA.format(token_file=token_file))
            g_small = Gate(binary, d, small, f"{small}")
            gates.append(g_small)
            g_big = Gate(binary, d, big, f"{big}")
            gates.append(g_big)
            nginx = Nginx(d, g_small.addr)
            check_answers(gates, nginx, token(KEY))

            phases = {
                "nginx": nginx.url("plain"),
                "healthz": f"{g_small.url}/healthz",
                f"authz-{small}": g_small.authz,
                f"authz-{big}": g_big.authz,
                "proxy+auth": nginx.url("guarded"),
                "proxy": nginx.url("unguarded"),
            }
            for url in phases.values():  # warm-up: connections, caches, the index
                wrk(url, script, 1)
            runs = {name: [] for name in phases}
            order = random.Random(22)
            for _ in range(rounds):
                for name in order.sample(list(phases), len(phases)):
                    runs[name].append(wrk(phases[name], script, duration))
            bad = {n: sum(r["non2xx"] + r["errors"] for r in rs) for n, rs in runs.items()}
            if any(bad.values()):
                sys.exit(f"answers other than 200, or socket errors, in the timed runs: {bad}")

            # 3. Memory: the big gate after its runs; the constant: a small gate after the same.
            steady = g_big.status()
            g_tiny = Gate(binary, d, 100, "memory-100")
            gates.append(g_tiny)
            check_answers([g_tiny], nginx, token(KEY))
            wrk(g_tiny.authz, script, duration)
            constant = g_tiny.status()
            g_big.reset_peak()
            before = g_big.status()
            t0 = time.perf_counter()
            g_big.update(key_name(TOGGLED), "--disable")
            written = time.perf_counter() - t0
            t0 = time.perf_counter()
            status, _ = get(g_big.authz, token(KEY))  # waits for the reload
            reload_s = time.perf_counter() - t0
            if status != 200:
                sys.exit(f"after the rewrite, {g_big.authz} answered {status}")
            status, _ = get(g_big.authz, token(TOGGLED))
            if status != 401:
                sys.exit(f"the gate at {big} keys did not reload: the disabled key got {status}")
            during = g_big.status()
            file_size = os.path.getsize(g_big.file)

            # 4. A reload under load, on a gate of its own (its file keeps changing).
            g_reload = Gate(binary, d, small, f"reload-{small}")
            gates.append(g_reload)
            check_answers([g_reload], nginx, token(KEY))
            wrk(g_reload.authz, script, 1)
            reload = reload_under_load(g_reload, script, 2 * duration)
        finally:
            for g in gates:
                g.stop()
            if nginx:
                nginx.stop()

    # Tables.
    def ratio_of(name, base):
        return median([r["rate"] / b["rate"] for r, b in zip(runs[name], runs[base])])

    lines = ["### Requests per second and p99, against nginx's `return 200`", "",
             "| phase | req/s | p50 ms | p99 ms | ratio to nginx (same round) |",
             "| --- | ---: | ---: | ---: | ---: |"]
    labels = {
        "nginx": "nginx `return 200` (baseline)",
        "healthz": "gate `GET /healthz`",
        f"authz-{small}": f"gate `/authz/acme?permission={PERMISSION}`, {small:,} keys",
        f"authz-{big}": f"gate `/authz/acme?permission={PERMISSION}`, {big:,} keys",
    }
    for name, label in labels.items():
        rs = runs[name]
        lines.append(f"| {label} | {fmt_rate(median([r['rate'] for r in rs]))} | "
                     f"{fmt_ms(median([r['p50'] for r in rs]))} | "
                     f"{fmt_ms(median([r['p99'] for r in rs]))} | "
                     f"{ratio_of(name, 'nginx'):.2f}x |")
    lines += ["", "### End to end: nginx proxy with `auth_request` to the gate, against without",
              "", "| phase | req/s | p50 ms | p99 ms | ratio to the proxy without (same round) |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for name, label in (("proxy", "nginx proxy to an nginx upstream (baseline)"),
                        ("proxy+auth", f"the same with `auth_request` to the gate, {small:,} keys")):
        rs = runs[name]
        lines.append(f"| {label} | {fmt_rate(median([r['rate'] for r in rs]))} | "
                     f"{fmt_ms(median([r['p50'] for r in rs]))} | "
                     f"{fmt_ms(median([r['p99'] for r in rs]))} | "
                     f"{ratio_of(name, 'proxy'):.2f}x |")
    mb = 1024.0
    limit_kb = 3 * file_size / 1024 + constant["VmRSS"]
    lines += ["", "### Memory", "",
              "| what | MB |", "| --- | ---: |",
              f"| file at {big:,} keys | {file_size / 1e6:.1f} |",
              f"| gate at 100 keys after {duration} s of wrk: VmRSS (the constant) | "
              f"{constant['VmRSS'] / mb:.1f} |",
              f"| gate at {big:,} keys after its wrk runs: VmRSS (steady state) | "
              f"{steady['VmRSS'] / mb:.1f} |",
              f"| limit: 3 x file + constant | {limit_kb / mb:.1f} |",
              f"| gate at {big:,} keys, peak while reloading (VmHWM, reset before the "
              f"rewrite; the reload took {reload_s * 1e3:.0f} ms after a "
              f"{written * 1e3:.0f} ms `tokenctl update`) | {during['VmHWM'] / mb:.1f} |",
              f"| gate at {big:,} keys after the reload: VmRSS (before it: "
              f"{before['VmRSS'] / mb:.1f}) | {during['VmRSS'] / mb:.1f} |"]
    lines += ["", f"### Reload under load, {small:,} keys", "",
              f"wrk for {reload['duration']} s on `/authz` while `tokenctl update "
              f"{key_name(TOGGLED)} --disable`/`--enable` rewrote the file "
              f"{reload['writes']} times ({reload['writes'] / reload['duration']:.1f} a second"
              f"{', ' + str(reload['late']) + ' writes late' if reload['late'] else ''}): "
              f"{fmt_rate(reload['rate'])} req/s, p50 {fmt_ms(reload['p50'])} ms, p99 "
              f"{fmt_ms(reload['p99'])} ms, {reload['requests']:,} requests, "
              f"{reload['non2xx']} answers other than 2xx/3xx, {reload['errors']} socket "
              f"errors; afterwards the toggled key got {reload['toggled_status']} "
              f"({'as its last write says' if reload['toggled_ok'] else 'NOT as its last write says'})."]
    part = "\n".join(lines) + "\n"
    parts.append(part)
    print(part, flush=True)

    summary = []
    if not args.quick:
        summary.append("### Targets (issue 22)\n")
        for name in (f"authz-{small}", f"authz-{big}"):
            ratio = ratio_of(name, "nginx")
            p99 = median([r["p99"] for r in runs[name]])
            summary.append(f"{verdict(ratio >= TARGET_RATIO, ratio < FAIL_RATIO)}  {labels[name]}: "
                           f"{ratio:.2f}x nginx (target 0.6x, under 0.4x a failure)")
            summary.append(f"{verdict(p99 < TARGET_P99_MS, True)}  {labels[name]}: p99 "
                           f"{fmt_ms(p99)} ms (target under 1 ms)")
        e2e = ratio_of("proxy+auth", "proxy")
        summary.append(f"{verdict(e2e >= TARGET_E2E, True)}  end to end, nginx with auth_request: "
                       f"{e2e:.2f}x the proxy without (target at least 0.5x)")
        summary.append(f"{verdict(steady['VmRSS'] < limit_kb, True)}  RSS at {big:,} keys: "
                       f"{steady['VmRSS'] / mb:.1f} MB, limit 3 x {file_size / 1e6:.1f} MB + "
                       f"{constant['VmRSS'] / mb:.1f} MB = {limit_kb / mb:.1f} MB; peak while "
                       f"reloading {during['VmHWM'] / mb:.1f} MB")
        ok = reload["non2xx"] == 0 and reload["errors"] == 0 and reload["toggled_ok"]
        summary.append(f"{verdict(ok, True)}  reload under load at {small:,} keys: "
                       f"{reload['non2xx'] + reload['errors']} failed requests of "
                       f"{reload['requests']:,} over {reload['writes']} rewrites; p99 "
                       f"{fmt_ms(reload['p99'])} ms")
    summary.append(f"\nLoad average at end: {loadavg()} (1, 5, 15 min), "
                   f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC.\n")
    print("\n".join(summary))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(header) + "\n" + "\n".join(parts) + "\n" + "\n".join(summary))
    if args.quick and (reload["non2xx"] or reload["errors"] or not reload["toggled_ok"]):
        sys.exit("the reload under load failed requests or did not reload")


if __name__ == "__main__":
    main()
