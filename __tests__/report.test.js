'use strict'
// The HTML report as a person sees it: three real snapshots of a real child process with a
// leaking registry (__tests__/fixtures/holders), `npx leakguard report` writes the page, and
// headless Chromium (Debian's `chromium`, driven by playwright-core) opens it from disk. No
// Chromium is a failure, not a skip: .ci/run installs it.
// LEAKGUARD_UPDATE_SCREENSHOTS=1 also writes the screenshots to docs/ (they are committed).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync, execFile } = require('node:child_process')
const { chromium } = require('playwright-core')
const { render } = require('../lib/report')
const { siteOf } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const CLI = path.join(ROOT, 'bin', 'leakguard.js')
const LEAKS = path.join(__dirname, 'fixtures', 'holders', 'leaks.js')
const REGISTRY = path.join(__dirname, 'fixtures', 'holders', 'registry.js')
const GUARD = path.join(ROOT, 'guard.js')
const APP = path.join(__dirname, 'fixtures', 'guard', 'app.js')
const CHROMIUM = process.env.LEAKGUARD_CHROMIUM || '/usr/bin/chromium'
const UPDATE = process.env.LEAKGUARD_UPDATE_SCREENSHOTS === '1'
const N = 2000

let dir
let browser
let page
let report
const requests = []
const errors = []

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakguard-report-'))
  const snaps = JSON.parse(execFileSync(process.execPath, [LEAKS, 'registry', dir, String(N)], { encoding: 'utf8', timeout: 60000 }).trim().split('\n').pop())
  report = path.join(dir, 'report.html')
  const out = execFileSync(process.execPath, [CLI, 'report', snaps.a, snaps.b, snaps.c, '-o', report], { encoding: 'utf8', timeout: 60000 })
  expect(out.trim()).toBe(report)

  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set LEAKGUARD_CHROMIUM)`)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  })
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
  page.on('request', (r) => requests.push(r.url()))
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  await page.goto(`file://${report}`)
}, 120000)

afterAll(async () => {
  if (browser) await browser.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const thingRow = () => page.locator('tr.group', { has: page.locator('.cls', { hasText: /^Thing$/ }) })

test('the file is 0600, self-contained and small enough to attach to a ticket', () => {
  expect(fs.statSync(report).mode & 0o777).toBe(0o600)
  const html = fs.readFileSync(report, 'utf8')
  expect(html.length).toBeLessThan(500000)
  expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
})

test('the table shows the leaking class, its count and its holder', async () => {
  const row = thingRow()
  await expect(row.count()).resolves.toBe(1)
  const cells = await row.locator('td').allInnerTexts()
  expect(cells[0]).toContain('Thing')
  expect(cells[1]).toBe('2,000')
  expect(cells[4]).toContain('createThing.instances')
  expect(cells[4]).toContain('registry.js:4')
  // the retainer tree is closed until the row is clicked
  await expect(page.locator('tr.tree-row').first().isVisible()).resolves.toBe(false)
})

test('a click opens the retainer tree from the GC root to the objects, the holder highlighted', async () => {
  await thingRow().click()
  const tree = page.locator('tr.tree-row:visible')
  await expect(tree.count()).resolves.toBe(1)
  await expect(tree.locator('.step.root').innerText()).resolves.toContain('(GC roots)')
  const holder = tree.locator('.step.holder')
  await expect(holder.isVisible()).resolves.toBe(true)
  const text = await holder.innerText()
  expect(text).toContain('instances')
  expect(text).toContain('createThing.instances')
  expect(text).toContain('createThing() at registry.js:4')
  expect(await holder.locator('[title]').last().getAttribute('title')).toBe(`${REGISTRY}:4`)
  // highlighted: a background of its own
  const bg = await holder.evaluate((el) => el.ownerDocument.defaultView.getComputedStyle(el).backgroundColor)
  expect(bg).not.toMatch(/rgba\(0, 0, 0, 0\)|transparent/)
  await expect(tree.locator('.step.leaf').innerText()).resolves.toMatch(/Thing[\s\S]*2,000 Thing/)
  // the holder is inside the tree below the root, the objects below the holder
  await expect(tree.locator('.step.root ~ ul .step.holder ~ ul .step.leaf').count()).resolves.toBe(1)
})

test("V8's and the module system's plumbing is collapsed, and opens", async () => {
  const tree = page.locator('tr.tree-row:visible')
  const plumbing = tree.locator('details.plumbing').first()
  await expect(plumbing.evaluate((d) => d.open)).resolves.toBe(false)
  const inner = plumbing.locator('.step').first()
  await expect(inner.isVisible()).resolves.toBe(false)
  await plumbing.locator('summary').click()
  await expect(inner.isVisible()).resolves.toBe(true)
  await expect(plumbing.locator('.step').allInnerTexts()).resolves.toEqual(expect.arrayContaining([expect.stringMatching(/Module|process|children|mainModule/)]))
  await plumbing.locator('summary').click() // closed again for the screenshot
})

test('sorting by a column reorders the groups', async () => {
  const counts = () => page.locator('tr.group td:nth-child(2)').evaluateAll((tds) => tds.map((td) => Number(td.dataset.v)))
  const count = page.locator('th', { hasText: 'Count' })
  await count.click()
  const desc = await counts()
  expect(desc.length).toBeGreaterThan(1)
  expect(desc).toEqual([...desc].sort((a, b) => b - a))
  await count.click()
  const asc = await counts()
  expect(asc).toEqual([...asc].sort((a, b) => a - b))
  await page.locator('th', { hasText: 'Retained' }).click() // back to retained size, largest first
  const first = await page.locator('tr.group .cls').first().innerText()
  expect(first).toBe('Thing')
})

test('a chart of count and retained size per snapshot, the leaking class rising', async () => {
  const charts = page.locator('svg.chart')
  await expect(charts.count()).resolves.toBe(2)
  await expect(page.locator('.legend').innerText()).resolves.toContain('Thing')
  // the Thing line of the count chart: three points, each higher on the page than the last
  const ys = await charts
    .first()
    .locator('g.series', { has: page.locator('title', { hasText: /^Thing$/ }) })
    .locator('circle')
    .evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cy'))))
  expect(ys).toHaveLength(3)
  expect(ys[1]).toBeLessThan(ys[0])
  expect(ys[2]).toBeLessThan(ys[1])
  const box = await charts.first().boundingBox()
  expect(box.width).toBeGreaterThan(200)
})

test('no page errors, no request but the file itself; a screenshot', async () => {
  expect(errors).toEqual([])
  expect(requests).toEqual([`file://${report}`])
  const shot = path.join(dir, 'report.png')
  await page.screenshot({ path: shot, fullPage: true })
  expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG')
  if (UPDATE) fs.copyFileSync(shot, path.join(ROOT, 'docs', 'report.png'))
})

test('strings from the heap are text, never markup', async () => {
  const evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
  const html = render({
    title: evil,
    groups: [
      {
        className: evil,
        count: 1,
        retainedSize: 10,
        selfSize: 10,
        holder: { name: `"'><b>x</b>`, kind: 'variable', step: 1, site: `${evil}:1` },
        retainers: [
          { edge: '[1]', edgeType: 'element', node: '(GC roots)', nodeType: 'synthetic', id: 1 },
          { edge: evil, edgeType: 'property', node: evil, nodeType: 'object', id: 2 },
        ],
      },
    ],
  })
  const file = path.join(dir, 'evil.html')
  fs.writeFileSync(file, html)
  const p = await browser.newPage()
  const pageErrors = []
  p.on('pageerror', (e) => pageErrors.push(String(e)))
  await p.goto(`file://${file}`)
  await expect(p.evaluate(() => globalThis.pwned)).resolves.toBeUndefined()
  await expect(p.locator('main img, main b, main script').count()).resolves.toBe(0)
  await expect(p.locator('tr.group .cls').innerText()).resolves.toBe(evil)
  expect(pageErrors).toEqual([])
  await p.close()
})

describe('guard mode: reportDir', () => {
  let r
  let guardPage
  const guardErrors = []
  const guardRequests = []

  beforeAll(async () => {
    const reportDir = path.join(dir, 'guard')
    // the fixture app leaks one listener per request and exits after its first LeakWarning
    r = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['-r', GUARD, APP],
        { cwd: ROOT, timeout: 60000, env: { PATH: process.env.PATH, MODE: 'leak', RUN_MS: '15000', UNTIL_WARNINGS: '1', LEAKGUARD_INTERVAL: '150', LEAKGUARD_SAMPLE_RATE: '0.05', LEAKGUARD_WARN: 'true', LEAKGUARD_REPORT_DIR: reportDir } },
        (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr, reportDir })),
      )
    })
    guardPage = await browser.newPage({ viewport: { width: 1100, height: 900 } })
    guardPage.on('request', (q) => guardRequests.push(q.url()))
    guardPage.on('pageerror', (e) => guardErrors.push(String(e)))
  }, 90000)

  test('a leaking app writes the page (0600) with the timeline and the finding marked on its series', async () => {
    const warning = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('WARNING '))
      .map((l) => JSON.parse(l.slice(8)))
      .find((w) => w.code === 'LEAKGUARD_LISTENERS')
    expect(warning).toBeDefined()
    const files = fs.readdirSync(r.reportDir)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^leakguard-report-\d+\.html$/)
    const file = path.join(r.reportDir, files[0])
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)

    await guardPage.goto(`file://${file}`)
    const flagged = guardPage.locator('figure.series-chart', { hasText: "'config-changed' listeners" })
    await expect(flagged.count()).resolves.toBe(1)
    await expect(flagged.locator('figcaption').innerText()).resolves.toContain('1 finding')
    // the series drawn over several samples, rising, with the numbered marker on it
    const line = await flagged.locator('polyline').getAttribute('points')
    const ys = line.split(' ').map((xy) => Number(xy.split(',')[1]))
    expect(ys.length).toBeGreaterThanOrEqual(3)
    expect(ys[ys.length - 1]).toBeLessThan(ys[0]) // higher on the page: more listeners
    const marker = flagged.locator('g.marker')
    await expect(marker.count()).resolves.toBe(1)
    await expect(marker.locator('title').textContent()).resolves.toBe(`1. ${warning.message}`)
    // the finding's message and add-site in the list
    const item = guardPage.locator('ol.findings li')
    await expect(item.count()).resolves.toBe(1)
    await expect(item.locator('.fmsg').innerText()).resolves.toBe(warning.message)
    await expect(item.locator('.where').innerText()).resolves.toContain(siteOf(APP, 'leak'))
    expect(guardErrors).toEqual([])
    expect(guardRequests).toEqual([`file://${file}`])
    const shot = path.join(dir, 'guard-report.png')
    await guardPage.screenshot({ path: shot, fullPage: true })
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG')
    if (UPDATE) fs.copyFileSync(shot, path.join(ROOT, 'docs', 'guard-report.png'))
  })
})

describe("leakguard/jest report: 'html': one page for a whole jest run", () => {
  const JEST_FIXTURE = path.join(__dirname, 'fixtures', 'jest')
  const LEAKY = path.join(JEST_FIXTURE, 'suite', 'leaky.test.js')
  let run
  let file
  let jestPage
  const jestErrors = []
  const jestRequests = []

  beforeAll(async () => {
    file = path.join(dir, 'jest-report.html')
    // two workers: each test file adds its tests to the one page
    const r = require('node:child_process').spawnSync(
      process.execPath,
      [require.resolve('jest/bin/jest'), '--config', path.join(JEST_FIXTURE, 'jest.config.js'), '--ci', '--json', '--maxWorkers=2', 'leaky|clean|lifetime'],
      { cwd: ROOT, encoding: 'utf8', timeout: 120000, env: { ...process.env, LEAKGUARD_JEST_FIXTURE_CONFIG: JSON.stringify({ report: 'html', reportFile: file }) } },
    )
    run = { status: r.status, report: JSON.parse(r.stdout), stderr: r.stderr }
    jestPage = await browser.newPage({ viewport: { width: 1100, height: 900 } })
    jestPage.on('request', (q) => jestRequests.push(q.url()))
    jestPage.on('pageerror', (e) => jestErrors.push(String(e)))
  }, 150000)

  test('no test fails; the page (0600) lists every test that leaked, with what and where', async () => {
    expect(run.report.numFailedTests).toBe(0)
    expect(run.status).toBe(0)
    expect(run.stderr).toContain(`the report: ${file}`)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    await jestPage.goto(`file://${file}`)
    const names = await jestPage.locator('table.tests td.test .name').allInnerTexts()
    expect(names).toContain('leaks a SIGUSR2 listener on process')
    expect(names).toContain('leaves a server listening')
    expect(names).toContain('keeps closed sockets in a Set')
    expect(names.some((n) => /lifetime|fixture replaced|describe-scope/.test(n))).toBe(false) // the lifetime file leaked nothing
    const sigusr2 = jestPage.locator('table.tests tr', { hasText: 'leaks a SIGUSR2 listener on process' })
    await expect(sigusr2.locator('td.msg').innerText()).resolves.toContain("leaked 1 listener for 'SIGUSR2' on process")
    await expect(sigusr2.locator('td.site').innerText()).resolves.toContain(path.relative(ROOT, siteOf(LEAKY, 'sigusr2')))
    await expect(jestPage.locator('td.test .file', { hasText: 'leaky.test.js' }).count()).resolves.toBeGreaterThan(5)
    expect(jestErrors).toEqual([])
    expect(jestRequests).toEqual([`file://${file}`])
    const shot = path.join(dir, 'jest-report.png')
    await jestPage.screenshot({ path: shot, fullPage: true })
    expect(fs.readFileSync(shot).subarray(1, 4).toString()).toBe('PNG')
    if (UPDATE) fs.copyFileSync(shot, path.join(ROOT, 'docs', 'jest-report.png'))
  })
})
