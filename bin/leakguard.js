#!/usr/bin/env node
'use strict'
// `npx leakguard analyze <file> [--top N] [--json]`, `npx leakguard diff <a> <b> [c] [--json]`.
// See lib/cli.js (`--help`).

require('../lib/cli')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code
    },
    (err) => {
      process.stderr.write(`leakguard: ${err && err.stack ? err.stack : err}\n`)
      process.exitCode = 1
    },
  )
