#!/usr/bin/env node
// Portable-YAML differential readers in JavaScript (see tests/readers/README.md).
// Usage: node reader.js yaml|js-yaml4|js-yaml5, then one file path a line on stdin; prints
// one line of canonical JSON a file: {"ok": {...}} or {"error": "..."}. Each library is
// called as its README shows, with its default options.
'use strict';
const fs = require('fs');
const readline = require('readline');

const mode = process.argv[2];
let load;
if (mode === 'yaml') {
  const YAML = require('yaml');
  load = (text) => YAML.parse(text);
} else if (mode === 'js-yaml4') {
  const jsyaml = require('js-yaml');
  load = (text) => jsyaml.load(text);
} else if (mode === 'js-yaml5') {
  const jsyaml = require('js-yaml5');
  load = (text) => jsyaml.load(text);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}

function keyOf(k) {
  return typeof k === 'string' && !k.startsWith('\0') ? k : '\0' + JSON.stringify(canon(k));
}

function instant(d) {
  if (Number.isNaN(d.getTime())) return { badtime: String(d), why: 'Invalid Date' };
  return { time: d.toISOString() };
}

function canon(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return { int: v.toString() };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { float: 'nan' };
    if (!Number.isFinite(v)) return { float: v > 0 ? 'inf' : '-inf' };
    if (Number.isInteger(v)) return { int: BigInt(v).toString() };
    return { float: String(v) };
  }
  if (v instanceof Date) return instant(v);
  if (v instanceof Uint8Array) return { binary: Buffer.from(v).toString('base64') };
  if (v instanceof Set) return { set: [...v].map((x) => JSON.stringify(canon(x))).sort() };
  if (v instanceof Map) {
    const out = Object.create(null);
    for (const [k, x] of v) out[keyOf(k)] = canon(x);
    return out;
  }
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'object') {
    const out = Object.create(null);
    for (const k of Object.keys(v)) out[keyOf(k)] = canon(v[k]);
    return out;
  }
  return { other: typeof v, repr: String(v) };
}

// What a server does with a time field: a string goes through new Date().
function asTime(v) {
  if (typeof v === 'string') return instant(new Date(v));
  return canon(v);
}

function get(o, k) {
  if (o instanceof Map) return o.has(k) ? [true, o.get(k)] : [false];
  if (o && typeof o === 'object' && !Array.isArray(o) && !(o instanceof Date))
    return Object.prototype.hasOwnProperty.call(o, k) ? [true, o[k]] : [false];
  return [false];
}

function isMap(o) {
  return o instanceof Map || (o && typeof o === 'object' && !Array.isArray(o) && !(o instanceof Date) && !(o instanceof Uint8Array) && !(o instanceof Set));
}

function view(doc) {
  if (!isMap(doc)) return { document: canon(doc) };
  const out = Object.create(null);
  for (const top of ['version', 'tokenPrefix', 'permissions']) {
    const [has, v] = get(doc, top);
    if (has) out[top] = canon(v);
  }
  const [has, keys] = get(doc, 'apiKeys');
  if (has) {
    if (isMap(keys)) {
      const ck = Object.create(null);
      const entries = keys instanceof Map ? [...keys] : Object.keys(keys).map((k) => [k, keys[k]]);
      for (const [name, entry] of entries) {
        const c = canon(entry);
        if (isMap(entry)) {
          for (const f of ['createdAt', 'expiresAt']) {
            const [h, t] = get(entry, f);
            if (h) c[f] = asTime(t);
          }
          const [hp, prev] = get(entry, 'previousHashes');
          if (hp && Array.isArray(prev)) {
            c.previousHashes = prev.map((p) => {
              const cp = canon(p);
              const [he, e] = get(p, 'expiresAt');
              if (isMap(p) && he) cp.expiresAt = asTime(e);
              return cp;
            });
          }
        }
        ck[keyOf(name)] = c;
      }
      out.apiKeys = ck;
    } else {
      out.apiKeys = canon(keys);
    }
  }
  return out;
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = Object.create(null);
    for (const k of Object.keys(v).sort()) o[k] = sortKeys(v[k]);
    return o;
  }
  return v;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (path) => {
  if (!path) return;
  let res;
  try {
    const text = fs.readFileSync(path, 'utf8');
    res = { ok: view(load(text)) };
    res = JSON.stringify(sortKeys(res));
  } catch (e) {
    res = JSON.stringify({ error: String((e && e.message) || e).replace(/\s+/g, ' ').slice(0, 400) });
  }
  process.stdout.write(res + '\n');
});
