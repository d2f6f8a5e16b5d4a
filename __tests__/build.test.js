'use strict'
// The build script (`npm run build`, and `prepare` on a clone's `npm install`) explains a missing Rust toolchain instead of
// failing somewhere inside a build.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('a missing cargo gives a clear message and a non-zero exit', () => {
  const script = path.join(__dirname, '..', 'scripts', 'build.js')
  // PATH holds only node's own folder: no cargo on it
  const r = spawnSync(process.execPath, [script], {
    env: { PATH: path.dirname(process.execPath), HOME: '/nonexistent' },
    encoding: 'utf8',
  })
  expect(r.status).toBe(1)
  expect(r.stderr).toContain('`cargo` (the Rust toolchain) was not found on PATH')
  expect(r.stderr).toContain('then run `npm run build`')
})
