'use strict'
// Shared helpers for the jest suites (not a test file: jest only runs *.test.js).

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')

/** `file:line:` of the line in `file` that carries the comment marker `// @site <name>`. */
function siteOf(file, name) {
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  const i = lines.findIndex((l) => l.includes(`// @site ${name}`))
  if (i < 0) throw new Error(`no // @site ${name} marker in ${file}`)
  return `${file}:${i + 1}:`
}

/** Findings whose add-site is in `file` (other code in the jest worker may add listeners too). */
function fromFile(leaks, file) {
  return leaks.filter((l) => typeof l.site === 'string' && l.site.startsWith(`${file}:`))
}

/**
 * Runs `node <args>` from the checkout with only PATH and `env` in its environment; resolves
 * when it has exited and its output is read, with `warnings`: the JSON of each `WARNING <json>`
 * line the fixture apps print for a LeakWarning.
 */
function runNode(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const warnings = stdout
        .split('\n')
        .filter((l) => l.startsWith('WARNING '))
        .map((l) => JSON.parse(l.slice(8)))
      resolve({ code, signal, stdout, stderr, warnings })
    })
  })
}

/** A TCP port free on 127.0.0.1 a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** GET `url` without keep-alive: `{ status, type, body }` (type: the content-type header). */
function httpGet(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }))
      })
      .on('error', reject)
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `fn` every 50 ms until it returns something truthy (that value), or rejects after `timeoutMs`. */
async function until(fn, timeoutMs = 30000) {
  const start = Date.now()
  for (;;) {
    const value = await fn()
    if (value) return value
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`)
    await sleep(50)
  }
}

module.exports = { siteOf, fromFile, runNode, freePort, httpGet, sleep, until }
