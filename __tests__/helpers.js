'use strict'
// Shared helpers for the jest suites (not a test file: jest only runs *.test.js).

const fs = require('node:fs')

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

module.exports = { siteOf, fromFile }
