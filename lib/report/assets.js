'use strict'
// The report page's inline stylesheet and script (no network: everything is in the one file).

const CSS = `
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--accent:#2563eb;--hold:#fef3c7;--holdb:#d97706;--bad:#dc2626}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#0f172a;color:#f8fafc;padding:18px 28px}
header h1{margin:0;font-size:20px;font-weight:600}
header .sub{color:#cbd5e1;font-size:13px;margin:4px 0 0;word-break:break-all}
main{max-width:1000px;margin:0 auto;padding:18px 24px 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
h2{font-size:16px;margin:0 0 10px}
h3{font-size:14px;margin:14px 0 6px;color:#374151}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}
.card{flex:1 1 150px;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.card .v{font-size:20px;font-weight:600}
.card .l{color:var(--muted);font-size:12px}
.note,.muted{color:var(--muted)} .muted{font-size:12px} .hint{margin:6px 0 0}
.empty{color:#15803d;font-weight:500}
table.groups{width:100%;border-collapse:collapse}
table.groups th{text-align:left;font-weight:600;font-size:12px;color:#4b5563;border-bottom:2px solid var(--line);padding:6px 8px;cursor:pointer;user-select:none;white-space:nowrap}
table.groups th.sorted::after{content:" ▾";color:var(--accent)} table.groups th.sorted.asc::after{content:" ▴"}
table.groups td{padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:top}
table.tests{width:100%;border-collapse:collapse}
table.tests th{text-align:left;font-weight:600;font-size:12px;color:#4b5563;border-bottom:2px solid var(--line);padding:6px 8px}
table.tests td{padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:top}
table.tests td.test .file{font-size:12px;color:#4b5563} table.tests td.test .name{font-weight:600}
table.tests td.site code{word-break:break-all} table.tests td.kind{white-space:nowrap}
tr.group{cursor:pointer} tr.group:hover td{background:#f1f5f9}
tr.group.open td{background:#eff6ff}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.num{position:relative}
.bar{display:block;height:3px;background:var(--accent);opacity:.35;margin-left:auto;margin-top:3px;border-radius:2px}
.cls{font-weight:600;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.sub{color:var(--muted);font-size:12px;margin-left:22px;word-break:break-all}
.c-holder .sub{margin-left:0}
.hname{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600;background:var(--hold);padding:0 4px;border-radius:4px;color:#78350f}
.kind{color:var(--muted);font-size:11px}
.tog{border:0;background:none;cursor:pointer;font-size:12px;width:18px;padding:0;color:var(--accent);transition:transform .1s}
.tog[aria-expanded=true]{transform:rotate(90deg)}
.tog-none{display:inline-block;width:18px}
tr.tree-row td{background:#fbfdff;padding:10px 12px 14px}
.tree-head{font-size:12px;color:#4b5563;margin-bottom:6px}
ul.tree,ul.tree ul{list-style:none;margin:0;padding:0}
ul.tree ul{margin-left:14px;border-left:1px dashed #cbd5e1;padding-left:8px}
.step{font:12.5px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;padding:1px 6px;border-radius:5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.step .edge{color:#7c3aed}.step .e-element{color:#0369a1}.step .e-context{color:#047857}.step .e-internal,.step .e-hidden{color:#9ca3af}
.step .node{font-weight:600}
.step .t,.step .id{color:#9ca3af;font-size:11px}
.step.root .node{color:#475569}
.step.holder{background:var(--hold);outline:1.5px solid var(--holdb)}
.step.leaf{background:#fee2e2}
.badge{display:inline-block;font:600 10.5px/1.5 system-ui,sans-serif;text-transform:uppercase;letter-spacing:.04em;background:var(--holdb);color:#fff;padding:0 6px;border-radius:9px;margin-left:4px}
.badge.leafb{background:var(--bad);text-transform:none;letter-spacing:0}
.where{color:#6b7280;font:12px system-ui,sans-serif}
.times{color:var(--bad);font-weight:600}
details.plumbing>summary{cursor:pointer;color:var(--muted);font-size:12px;padding:2px 6px;list-style:none}
details.plumbing>summary::before{content:"▸ ";color:var(--accent)} details.plumbing[open]>summary::before{content:"▾ "}
details.plumbing[open]{background:#f8fafc;border-radius:6px}
.path{margin-top:8px;font:11.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#6b7280;word-break:break-all}
.charts{display:flex;flex-wrap:wrap;gap:10px}
svg.chart{max-width:100%;height:auto;background:#fff}
svg.chart text{font:11px system-ui,sans-serif;fill:#6b7280}
svg.chart .ct{font-weight:600;fill:#374151;font-size:12px}
svg.chart .yl{text-anchor:end}
svg.chart .bl{text-anchor:end;fill:#374151;font-family:ui-monospace,Menlo,Consolas,monospace}
svg.chart .grid{stroke:#f1f5f9} svg.chart .axis{stroke:#cbd5e1}
svg.chart .marker line{stroke:var(--bad);stroke-dasharray:3 3} svg.chart .marker circle{fill:var(--bad)}
svg.chart .marker text{fill:#fff;text-anchor:middle;font-weight:700;font-size:10px}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin-top:6px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;vertical-align:-2px}
figure.series-chart{margin:0;border:1px solid var(--line);border-radius:8px;padding:6px}
figure.series-chart.flagged,figure.series-chart:has(svg.flagged){border-color:#fca5a5}
figure figcaption{font-size:11px;color:var(--muted);padding:0 4px}
ol.findings{padding-left:22px;margin:4px 0}
ol.findings li{margin:0 0 10px}
.fkind{font:600 11px ui-monospace,Menlo,Consolas,monospace;background:#fee2e2;color:#991b1b;padding:1px 6px;border-radius:4px}
.ftime{color:var(--muted);font-size:12px}
.fmsg{margin-top:2px;word-break:break-word}
ul.files{margin:0;padding-left:18px;font-size:12.5px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f5f9;padding:1px 4px;border-radius:4px;word-break:break-all}
footer{color:var(--muted);font-size:12px;text-align:center;margin:24px 0}
`

// Sorting (click a header) and opening a group's retainer tree (click its row). No network.
const JS = `
(function(){
  var table=document.getElementById('groups');
  if(!table)return;
  function toggle(tr){
    var b=tr.querySelector('.tog');if(!b)return;
    var row=document.getElementById(b.getAttribute('aria-controls'));
    var open=b.getAttribute('aria-expanded')!=='true';
    b.setAttribute('aria-expanded',String(open));row.hidden=!open;tr.classList.toggle('open',open);
  }
  table.addEventListener('click',function(e){
    var th=e.target.closest('th');
    if(th){sort(th);return}
    if(e.target.closest('details'))return;
    var tr=e.target.closest('tr.group');if(tr)toggle(tr);
  });
  function sort(th){
    var k=+th.dataset.k,numeric=th.dataset.t==='n';
    var asc=th.classList.contains('sorted')?!th.classList.contains('asc'):!numeric;
    table.querySelectorAll('th').forEach(function(h){h.classList.remove('sorted','asc','desc')});
    th.classList.add('sorted',asc?'asc':'desc');
    var bodies=Array.prototype.slice.call(table.tBodies);
    var key=function(b){var c=b.rows[0].cells[k];var v=c.dataset.v!==undefined?c.dataset.v:c.textContent;return numeric?Number(v):String(v).toLowerCase()};
    bodies.sort(function(a,b){var x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*(asc?1:-1)});
    bodies.forEach(function(b){table.appendChild(b)});
  }
})();
`

/** The whole page, as a string. */

module.exports = { CSS, JS }
