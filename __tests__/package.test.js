'use strict'
// The packages a user installs: `scripts/pack.js` packs the main package and the platform package
// (the addon already built by `npm run build`), a fresh app installs both tarballs offline with no
// Rust toolchain on PATH, then uses them from CommonJS, from ES modules by name, and from
// TypeScript (`tsc --strict`, module nodenext: the types the package's `exports` point at).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const fixtures = path.join(__dirname, 'fixtures', 'package')
const platform = 'linux-x64-gnu'

// PATH without any folder that holds cargo or rustc: what a user without Rust has
const noRustPath = (process.env.PATH || '')
  .split(path.delimiter)
  .filter((dir) => dir !== '' && !['cargo', 'rustc'].some((bin) => fs.existsSync(path.join(dir, bin))))
  .concat(path.dirname(process.execPath))
  .join(path.delimiter)
const env = { ...process.env, PATH: noRustPath, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }
delete env.npm_execpath // scripts/pack.js must find npm by itself here, as from a shell

let tmp
let app
let tarballs

function run(file, args, options = {}) {
  const r = spawnSync(file, args, { cwd: app, env, encoding: 'utf8', timeout: 60000, ...options })
  if (r.error) throw r.error
  return r
}

function node(script, ext = '.js', extraEnv = {}) {
  const file = path.join(app, `script-${Math.random().toString(36).slice(2)}${ext}`)
  fs.writeFileSync(file, script)
  return run(process.execPath, [file], { env: { ...env, ...extraEnv } })
}

const describeLinux = process.platform === 'linux' && process.arch === 'x64' ? describe : describe.skip

describeLinux('the packed tarballs, installed without Rust', () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-package-'))
    const dist = path.join(tmp, 'dist')
    const pack = spawnSync(process.execPath, [path.join(root, 'scripts', 'pack.js'), '--no-build', '--out', dist], { cwd: root, env, encoding: 'utf8', timeout: 60000 })
    expect(pack.stderr).toBe('')
    expect(pack.status).toBe(0)
    tarballs = { main: path.join(dist, 'leakguard-0.1.0.tgz'), platform: path.join(dist, `leakguard-${platform}-0.1.0.tgz`) }
    app = path.join(tmp, 'app')
    fs.mkdirSync(app)
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
  }, 60000)

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
  })

  test('the tarballs hold what a user needs, no sources, no build, no install script', () => {
    const list = (tgz) => run('tar', ['tzf', tgz]).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''))
    const main = list(tarballs.main)
    for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'jest.mjs', 'guard.mjs', 'vitest.mjs', 'vitest.d.mts', 'node-test.js', 'node-test.mjs', 'node-test.d.ts', 'binding.js', 'binding.d.ts', 'types/leak.d.ts', 'lib/native.js', 'bin/leakguard.js']) expect(main).toContain(f)
    expect(main.filter((f) => /^(src|crates|target|scripts|__tests__|npm)\/|\.node$|^Cargo|^build\.rs$/.test(f))).toEqual([])
    expect(main).toContain('LICENSE')
    expect(list(tarballs.platform).sort()).toEqual(['LICENSE', 'README.md', `leakguard.${platform}.node`, 'package.json'])

    const pkg = JSON.parse(run('tar', ['xzf', tarballs.main, '-O', 'package/package.json']).stdout)
    expect(pkg.scripts).toBeUndefined()
    expect(pkg.devDependencies).toBeUndefined()
    expect(pkg.optionalDependencies).toEqual({ [`leakguard-${platform}`]: pkg.version })
    const platformPkg = JSON.parse(run('tar', ['xzf', tarballs.platform, '-O', 'package/package.json']).stdout)
    expect(platformPkg).toMatchObject({ name: `leakguard-${platform}`, version: pkg.version, os: ['linux'], cpu: ['x64'], libc: ['glibc'] })
  })

  test('npm installs both offline with no cargo on PATH', () => {
    expect(spawnSync('cargo', ['--version'], { env }).error).toMatchObject({ code: 'ENOENT' })
    const r = run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarballs.main, tarballs.platform])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(fs.existsSync(path.join(app, 'node_modules', `leakguard-${platform}`, `leakguard.${platform}.node`))).toBe(true)
  }, 60000)

  test('require(): a leaking listener is found by the installed addon', () => {
    const r = node(`
      const leakguard = require('leakguard')
      const { EventEmitter } = require('node:events')
      leakguard.start({ threshold: 1, warn: false })
      const bus = new EventEmitter()
      bus.on('config', () => {})
      leakguard.check().then((leaks) => {
        console.log(JSON.stringify({ messages: leaks.map((l) => l.message), live: bus.listenerCount('config'), jest: Object.keys(require('leakguard/jest')) }))
        leakguard.stop()
      })
    `)
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    expect(out.messages).toEqual([expect.stringMatching(/^leaked 1 listener for 'config' on EventEmitter, added at script-\w+\.js:6:11; none were removed$/)])
    expect(out.jest).toEqual(['configure', 'matchers'])
  })

  test('ES modules: every name by import, the same objects as require()', () => {
    const r = node(
      `
      import { createRequire } from 'node:module'
      import * as main from 'leakguard'
      import * as jest from 'leakguard/jest'
      import * as guard from 'leakguard/guard'
      import * as heapdump from 'leakguard/heapdump'
      import { start, check, stop, trackSet, TrendEngine } from 'leakguard'
      import { matchers, configure } from 'leakguard/jest'
      const require = createRequire(import.meta.url)
      const names = (ns, cjs) => ({ esm: Object.keys(ns).filter((k) => k !== 'default').sort(), cjs: Object.keys(cjs).sort(), same: Object.keys(cjs).every((k) => ns[k] === cjs[k]) && ns.default === cjs })
      const set = trackSet(new Set(), 'names')
      console.log(JSON.stringify({
        main: names(main, require('leakguard')),
        jest: names(jest, require('leakguard/jest')),
        heapdump: names(heapdump, require('leakguard/heapdump')),
        guard: { names: Object.keys(guard).sort(), running: guard.default === require('leakguard/guard') && guard.default !== null, metrics: typeof guard.metrics() },
        types: [typeof start, typeof check, typeof stop, typeof TrendEngine, typeof matchers.toLeak, typeof configure],
        set: set instanceof Set,
      }))
    `,
      '.mjs',
      { LEAKGUARD_QUIET: '1' }, // importing leakguard/guard starts guard mode, which says so on stderr
    )
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout)
    for (const entry of ['main', 'jest', 'heapdump']) {
      expect(out[entry].esm).toEqual(out[entry].cjs)
      expect(out[entry].same).toBe(true)
    }
    expect(out.main.esm).toContain('check')
    expect(out.guard).toEqual({ names: ['default', 'metrics', 'stop'], running: true, metrics: 'string' })
    expect(out.types).toEqual(['function', 'function', 'function', 'function', 'function', 'function'])
  })

  test('guard mode from --import leakguard/guard', () => {
    const r = node(`import running from 'leakguard/guard'\nconsole.log(typeof running.metrics())\nrunning.stop()\n`, '.mjs')
    expect(r.stderr).toMatch(/^leakguard guard \(pid \d+\): watching listeners .*\(LEAKGUARD_QUIET=1 hides this line\)\n$/)
    expect(r.stdout).toBe('string\n')
  })

  test('leakguard/node-test and leakguard/vitest from the installed package (real node --test and vitest runs)', () => {
    const leaky = (name) => `shared.on('${name}', () => {})`
    fs.writeFileSync(
      path.join(app, 'node.test.js'),
      `const { test } = require('node:test')\nrequire('leakguard/node-test')\nconst shared = new (require('node:events'))()\ntest('leaks', () => { ${leaky('node-job')} })\ntest('clean', () => {})\n`,
    )
    const nt = run(process.execPath, ['--test', '--test-reporter=tap', 'node.test.js'])
    expect(nt.stdout).toMatch(/not ok 1 - leaks\n[^]*leaked 1 listener for 'node-job' on EventEmitter, added at node\.test\.js:4:30/)
    expect(nt.stdout).toMatch(/\nok 2 - clean\n/)

    // vitest externalizes node_modules: leakguard/vitest is loaded by Node, once per worker
    fs.symlinkSync(path.dirname(require.resolve('vitest/package.json')), path.join(app, 'node_modules', 'vitest'), 'dir')
    fs.mkdirSync(path.join(app, 'vt'))
    fs.writeFileSync(path.join(app, 'vt', 'vitest.config.mjs'), `export default { test: { include: ['*.test.mjs'], setupFiles: ['leakguard/vitest'], fileParallelism: false } }\n`)
    for (const f of ['a', 'b']) {
      fs.writeFileSync(
        path.join(app, 'vt', `${f}.test.mjs`),
        `import { test } from 'vitest'\nimport { EventEmitter } from 'node:events'\nconst shared = new EventEmitter()\ntest('${f} leaks', () => { ${leaky(`vitest-${f}`)} })\ntest('${f} clean', () => {})\n`,
      )
    }
    // sites are relative to the working directory (vt/)
    const vt = run(process.execPath, [path.join(app, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=json'], { cwd: path.join(app, 'vt'), env: { ...env, NO_COLOR: '1', CI: '1' } })
    const report = JSON.parse(vt.stdout.slice(vt.stdout.indexOf('{')))
    const results = Object.fromEntries(report.testResults.flatMap((file) => file.assertionResults.map((t) => [t.title, t.failureMessages.join('\n') || t.status])))
    expect(results).toEqual({
      'a leaks': expect.stringContaining("leaked 1 listener for 'vitest-a' on EventEmitter, added at a.test.mjs:4:32; none were removed"),
      'a clean': 'passed',
      'b leaks': expect.stringContaining("leaked 1 listener for 'vitest-b' on EventEmitter, added at b.test.mjs:4:32; none were removed"),
      'b clean': 'passed',
    })
  }, 60000)

  test('TypeScript --strict compiles every entry point and option, from ESM and CommonJS', () => {
    for (const f of ['usage.mts', 'usage.cts']) fs.copyFileSync(path.join(fixtures, f), path.join(app, f))
    // vitest's own types: usage.mts calls the matchers on vitest's expect (the vitest test links it too)
    const vitest = path.join(app, 'node_modules', 'vitest')
    if (!fs.existsSync(vitest)) fs.symlinkSync(path.dirname(require.resolve('vitest/package.json')), vitest, 'dir')
    const tsconfig = {
      compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')] },
      files: ['usage.mts', 'usage.cts'],
    }
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig))
    const r = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'])
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  }, 60000)

  test('without the platform package: one error that names the platform and what to do', () => {
    const dir = path.join(app, 'node_modules', `leakguard-${platform}`)
    fs.renameSync(dir, `${dir}.away`)
    try {
      const r = node(`try { require('leakguard') } catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })) }`)
      expect(JSON.parse(r.stdout)).toEqual({
        code: 'ERR_LEAKGUARD_NO_ADDON',
        message:
          `leakguard: the prebuilt addon for ${platform} (the optional dependency leakguard-${platform}) is not installed or did not load.\n` +
          'Reinstall leakguard without --omit=optional / --no-optional (npm skips optional dependencies with those flags).',
      })
    } finally {
      fs.renameSync(`${dir}.away`, dir)
    }
  })
})
