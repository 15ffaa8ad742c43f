#!/usr/bin/env bash
# Installs (when missing) and builds the readers of the portable-YAML differential test
# (tests/e2e/guarantees/portable_readers.rs): Go's gopkg.in/yaml.v3, yaml.v2 and sigs.k8s.io/yaml, SnakeYAML
# 1.33, npm yaml, js-yaml 4 and 5, PyYAML (pure and libyaml) and ruamel.yaml. Debian packages
# only as root with apt-get; nothing is fetched when everything is there, and nothing is
# rebuilt that is up to date. The builds go to target/readers/ (or $READERS_OUT).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${READERS_OUT:-$root/target/readers}"
mkdir -p "$out"

need=()
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/gopkg.in/yaml.v3 ] || need+=(golang-gopkg-yaml.v3-dev)
[ -d /usr/share/gocode/src/gopkg.in/yaml.v2 ] || need+=(golang-gopkg-yaml.v2-dev)
[ -d /usr/share/gocode/src/sigs.k8s.io/yaml ] || need+=(golang-k8s-sigs-yaml-dev)
[ -f /usr/share/java/snakeyaml.jar ] || need+=(libyaml-snake-java)
command -v javac >/dev/null || need+=(default-jdk-headless)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "tests/readers/build.sh: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})" >&2
        exit 1
    fi
fi
snake="$(dpkg-query -W -f='${Version}' libyaml-snake-java 2>/dev/null || true)"
case "$snake" in
1.33*) ;;
*) echo "tests/readers/build.sh: SnakeYAML is '$snake', the test is written against 1.33" >&2 ;;
esac

# Python: pinned (PyYAML's wheel carries libyaml, for CSafeLoader).
if ! python3 -c 'import sys, yaml, ruamel.yaml
sys.exit(not (yaml.__version__ == "6.0.3" and yaml.__with_libyaml__ and ruamel.yaml.__version__ == "0.19.1"))' 2>/dev/null; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
        PyYAML==6.0.3 ruamel.yaml==0.19.1
fi

# JavaScript: exactly the lock file's versions.
if ! cmp -s "$here/js/package-lock.json" "$here/js/node_modules/.tokenctl-lock" 2>/dev/null; then
    (cd "$here/js" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$here/js/package-lock.json" "$here/js/node_modules/.tokenctl-lock"
fi

# Go: offline, against Debian's packaged sources.
if [ ! -x "$out/go-reader" ] || [ "$here/go/main.go" -nt "$out/go-reader" ]; then
    (cd "$here/go" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$out/go-cache" \
        go build -o "$out/go-reader" main.go)
fi

# Java.
if [ ! -f "$out/java/Reader.class" ] || [ "$here/java/Reader.java" -nt "$out/java/Reader.class" ]; then
    javac -d "$out/java" -cp /usr/share/java/snakeyaml.jar "$here/java/Reader.java"
fi

# A smoke run: every reader reads the smallest file.
printf 'apiKeys: {}\n' >"$out/smoke.yml"
check() {
    got="$(echo "$out/smoke.yml" | "$@")"
    case "$got" in
    '{"ok":'*'"apiKeys":{}'*|'{"ok": {"apiKeys": {}}}') ;;
    *) echo "tests/readers/build.sh: $* read the smoke file as $got" >&2; exit 1 ;;
    esac
}
for m in yaml.v3 yaml.v2 sigs-yaml; do check "$out/go-reader" "$m"; done
check java -cp "/usr/share/java/snakeyaml.jar:$out/java" Reader
for m in yaml js-yaml4 js-yaml5; do check node "$here/js/reader.js" "$m"; done
for m in pyyaml pyyaml-c ruamel-rt ruamel-safe; do check python3 "$here/python/reader.py" "$m"; done
