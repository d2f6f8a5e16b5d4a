// @memlab/heap-analysis (used only by bench/snapshot.bench.js, installed into bench/node_modules
// by `npm run bench`) depends on puppeteer: never download a browser for it.
module.exports = { skipDownload: true }
