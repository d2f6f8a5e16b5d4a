'use strict'
// lib/native.js when the addon cannot be loaded: one error naming the platform and what to do, in
// a checkout that was not built, and in an installed package for a platform without a prebuilt
// package. (A missing optional dependency is tested on the installed tarballs: package.test.js.)

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
let dir

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-loader-'))
  for (const f of ['index.js', 'lib', 'binding.js', 'package.json']) fs.cpSync(path.join(root, f), path.join(dir, f), { recursive: true })
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

function load() {
  const r = spawnSync(process.execPath, ['-e', "try { require('./index.js') } catch (e) { console.log(JSON.stringify({ code: e.code, platform: e.platform, message: e.message, cause: !!e.cause })) }"], { cwd: dir, encoding: 'utf8' })
  return JSON.parse(r.stdout)
}

const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64' ? test : test.skip

onLinuxX64('a checkout without a build: run npm run build', () => {
  fs.copyFileSync(path.join(root, 'Cargo.toml'), path.join(dir, 'Cargo.toml'))
  fs.rmSync(path.join(dir, 'binding.js'))
  expect(load()).toEqual({
    code: 'ERR_LEAKGUARD_NO_ADDON',
    platform: 'linux-x64-gnu',
    message: 'leakguard: the native addon is not built in this checkout (platform linux-x64-gnu).\nRun `npm run build` here; it needs the Rust toolchain (`cargo` on PATH, https://rustup.rs).',
    cause: true,
  })
})

onLinuxX64('an installed package with no prebuilt package for this platform names the platform and the ones there are', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, optionalDependencies: { 'leakguard-darwin-arm64': pkg.version, 'leakguard-win32-x64-msvc': pkg.version } }))
  expect(load()).toEqual({
    code: 'ERR_LEAKGUARD_NO_ADDON',
    platform: 'linux-x64-gnu',
    message:
      'leakguard: no prebuilt addon for this platform (linux-x64-gnu): there is no package leakguard-linux-x64-gnu (prebuilt: darwin-arm64, win32-x64-msvc).\n' +
      'Build leakguard from a clone of its repository (`npm install` there, with Rust installed).',
    cause: true,
  })
})
