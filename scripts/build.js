#!/usr/bin/env node
'use strict'
// Builds the native addon from source: `napi build --platform --release`, which writes
// leakguard.<platform>.node, binding.js (the loader) and binding.d.ts (types from the /// docs).
// `npm run build`; also the checkout's `prepare` script, so `npm install` in a fresh clone builds it.
// Users never run this: the published package loads a prebuilt platform package (scripts/pack.js).
// `--debug` builds without optimisations (faster to compile while developing).

const { spawnSync } = require('node:child_process')
const path = require('node:path')
const fs = require('node:fs')

const root = path.join(__dirname, '..')
const debug = process.argv.includes('--debug')

function fail(message) {
  process.stderr.write(`\nleakguard: ${message}\n\n`)
  process.exit(1)
}

const cargo = spawnSync('cargo', ['--version'], { encoding: 'utf8' })
if (cargo.error || cargo.status !== 0) {
  fail(
    'cannot build the native addon: `cargo` (the Rust toolchain) was not found on PATH.\n' +
      'A checkout builds the addon from source. Install Rust with rustup (stable toolchain), make sure\n' +
      '`cargo --version` works in this shell, then run `npm run build`.\n' +
      '(Installed from the registry, leakguard needs no Rust: its platform package carries the addon.)',
  )
}

const napiBin = path.join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
if (!fs.existsSync(napiBin)) {
  fail(
    'cannot build the native addon: @napi-rs/cli is not installed.\n' +
      'Run `npm install` (with dev dependencies) in the leakguard checkout.',
  )
}

const args = [napiBin, 'build', '--platform', '--js', 'binding.js', '--dts', 'binding.d.ts']
if (!debug) args.push('--release')
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
if (result.error) fail(`napi build could not start: ${result.error.message}`)
if (result.status !== 0) fail(`napi build failed with exit code ${result.status} (see the cargo output above)`)
