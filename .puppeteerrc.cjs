// @memlab/heap-analysis (a devDependency, used only by bench/snapshot.bench.js) depends on
// puppeteer: never download a browser on `npm install` / `npm ci`.
module.exports = { skipDownload: true }
