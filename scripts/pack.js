#!/usr/bin/env node
'use strict'
// `npm run pack`: the tarballs a registry would receive, in dist/ (the napi-rs package layout).
//   - one platform package per folder of npm/ (npm/linux-x64-gnu -> leakguard-linux-x64-gnu),
//     carrying the prebuilt leakguard.<platform>.node; only the platforms built on this machine;
//   - the main package: the JavaScript, the generated loader (binding.js) and the types, with the
//     platform packages as optionalDependencies (npm installs the one whose os/cpu/libc match) and
//     no scripts: installing it needs neither Rust nor any dev dependency.
// The main package is staged in dist/.stage/ with its package.json rewritten, so the checkout's
// package.json keeps its scripts and dev dependencies and no optionalDependencies (a clone's
// `npm install` never asks the registry for platform packages of a version not yet published).
//
// Options: --no-build (pack the addon already built by `npm run build`), --out <dir> (default dist).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const root = path.join(__dirname, '..')
const argv = process.argv.slice(2)
const outArg = argv.indexOf('--out')
const out = path.resolve(outArg >= 0 ? argv[outArg + 1] : path.join(root, 'dist'))
const build = !argv.includes('--no-build')

/** Fields of the checkout's package.json that the published main package keeps. */
const KEEP = ['name', 'version', 'description', 'keywords', 'homepage', 'bugs', 'repository', 'license', 'author', 'main', 'types', 'bin', 'engines', 'exports', 'files', 'napi', 'dependencies', 'peerDependencies', 'peerDependenciesMeta']

function fail(message) {
  process.stderr.write(`leakguard pack: ${message}\n`)
  process.exit(1)
}

/** `npm pack` of `dir` into `out`; returns { filename, size, files }. */
function npmPack(dir) {
  const npm = process.env.npm_execpath && process.env.npm_execpath.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm']
  const r = spawnSync(npm[0], [...npm.slice(1), 'pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' })
  if (r.error) fail(`npm pack could not start: ${r.error.message}`)
  if (r.status !== 0) fail(`npm pack in ${dir} failed:\n${r.stderr}`)
  const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))
  return { filename: info.filename, size: info.size, files: info.files.map((f) => f.path) }
}

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.cpSync(from, to, { recursive: true })
}

if (build) {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status || 1)
}

const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
const stage = path.join(out, '.stage')
fs.rmSync(stage, { recursive: true, force: true })
fs.mkdirSync(stage, { recursive: true })

// the platform packages
const optional = {}
const packed = []
const npmDir = path.join(root, 'npm')
for (const dir of fs.readdirSync(npmDir).sort()) {
  const platformPkg = JSON.parse(fs.readFileSync(path.join(npmDir, dir, 'package.json'), 'utf8'))
  optional[platformPkg.name] = pkg.version
  const addon = path.join(root, platformPkg.main)
  if (!fs.existsSync(addon)) {
    process.stdout.write(`leakguard pack: ${platformPkg.name} skipped: ${platformPkg.main} is not built on this machine\n`)
    continue
  }
  const s = path.join(stage, dir)
  copy(path.join(npmDir, dir), s)
  fs.writeFileSync(path.join(s, 'package.json'), `${JSON.stringify({ ...platformPkg, version: pkg.version }, null, 2)}\n`)
  fs.copyFileSync(addon, path.join(s, platformPkg.main))
  fs.copyFileSync(path.join(root, 'LICENSE'), path.join(s, 'LICENSE'))
  packed.push(npmPack(s))
}
if (packed.length === 0) fail('no platform package was packed: build the addon first (`npm run build`)')

// the main package
if (!fs.existsSync(path.join(root, 'binding.js'))) fail('binding.js is missing: build the addon first (`npm run build`)')
const main = path.join(stage, 'leakguard')
const published = {}
for (const k of KEEP) if (pkg[k] !== undefined) published[k] = pkg[k]
published.optionalDependencies = optional
fs.mkdirSync(main, { recursive: true })
fs.writeFileSync(path.join(main, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)
for (const entry of [...pkg.files, 'README.md', 'LICENSE']) {
  const from = path.join(root, entry)
  if (fs.existsSync(from)) copy(from, path.join(main, entry))
}
packed.push(npmPack(main))
fs.rmSync(stage, { recursive: true, force: true })

for (const p of packed) process.stdout.write(`${path.join(path.relative(process.cwd(), out) || '.', p.filename)}  ${(p.size / 1024).toFixed(1)} KiB, ${p.files.length} files\n`)
