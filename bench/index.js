'use strict'
// `npm run bench`: runs every bench/*.bench.js in its own child process, in name order, so one
// benchmark's heap and JIT state never colour another's. Pass names to run a subset:
// `npm run bench -- listeners`.
// The benchmarks' own dependencies (memlab, autocannon: bench/package.json) are installed into
// bench/node_modules on the first run, so the checkout's `npm install` stays small.

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

/** Installs bench/package.json's dependencies when one of them is missing. */
function installDependencies() {
  const { dependencies } = JSON.parse(fs.readFileSync(path.join(__dirname, 'package.json'), 'utf8'))
  const missing = Object.keys(dependencies).filter((name) => !fs.existsSync(path.join(__dirname, 'node_modules', name, 'package.json')))
  if (missing.length === 0) return
  process.stdout.write(`bench: installing ${missing.join(', ')} into bench/node_modules\n`)
  const npm = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm']
  const r = spawnSync(npm[0], [...npm.slice(1), 'install', '--no-audit', '--no-fund', '--no-package-lock'], {
    cwd: __dirname,
    stdio: 'inherit',
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
  })
  if (r.status !== 0) {
    process.stderr.write('bench: npm install in bench/ failed\n')
    process.exit(1)
  }
}

installDependencies()
if (process.argv.includes('--install')) process.exit(0) // .ci/run: the dependencies only (snapshot-analyze.test.js compares with memlab)

const only = process.argv.slice(2).filter((a) => a !== '--install')
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
