'use strict'
// The hand-written type declarations compile, strictly, against a program that uses the public
// API (__tests__/fixtures/types/usage.ts): conflicting or wrong declarations fail here.

const { spawnSync } = require('node:child_process')
const path = require('node:path')

test('index.d.ts, heapdump.d.ts and the generated binding.d.ts type-check a user program (tsc --strict)', () => {
  const tsc = require.resolve('typescript/bin/tsc')
  const usage = path.join(__dirname, 'fixtures', 'types', 'usage.ts')
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--types', 'node', '--target', 'es2022', '--module', 'commonjs', usage], { encoding: 'utf8' })
  expect(r.stdout + r.stderr).toBe('')
  expect(r.status).toBe(0)
}, 120000)
