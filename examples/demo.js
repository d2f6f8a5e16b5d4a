'use strict'
// `npm run demo`: runs every examples/*/demo.js in its own child process and shows its output.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const demos = fs
  .readdirSync(__dirname, { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(__dirname, d.name, 'demo.js')))
  .map((d) => d.name)
  .sort()

let failed = 0
for (const name of demos) {
  process.stdout.write(`\n=== examples/${name}\n`)
  const r = spawnSync(process.execPath, [path.join(__dirname, name, 'demo.js')], { stdio: 'inherit', cwd: path.join(__dirname, '..') })
  if (r.status !== 0) {
    failed++
    process.stdout.write(`(examples/${name}/demo.js exited with ${r.status ?? r.signal})\n`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
