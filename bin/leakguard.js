#!/usr/bin/env node
'use strict'
// `npx leakguard analyze <file> [--top N] [--json]`, `npx leakguard diff <a> <b> [c] [--json]`.
// See lib/cli.js (`--help`).

// `npx leakguard analyze big.heapsnapshot | head`: the reader went away; stop quietly, as git does
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err
  process.exit(0)
})

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
