'use strict'
// `npm run bench`: runs every bench/*.bench.js in its own child process, in name order, so one
// benchmark's heap and JIT state never colour another's. Pass names to run a subset:
// `npm run bench -- listeners`.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const only = process.argv.slice(2)
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()

let failed = 0
for (const file of files) {
  process.stdout.write(`\n=== ${file}\n`)
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, file)], { stdio: 'inherit' })
  if (r.status !== 0) {
    failed++
    process.stdout.write(`(${file} exited with ${r.status ?? r.signal})\n`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
