'use strict'
// Numbers as people read them, shared by the CLI and the HTML report.

/** `12.3 MB`: decimal units, as Chrome DevTools shows sizes. */
function humanSize(bytes) {
  const n = Number(bytes)
  if (!Number.isFinite(n)) return String(bytes)
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = n / 1000
  let i = 0
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000
    i++
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`
}

/** `2,000`. */
const count = (n) => Number(n).toLocaleString('en-US')

module.exports = { humanSize, count }
