/**
 * The UI's static assets, shipped as strings (no bundler, no build step): the stylesheet and
 * the client script. The script opens one Server-Sent Events stream per tab (`events`,
 * relative), re-fetches the current page's <main> when the run changes (at most 4 times a
 * second), and shows the point under the cursor on every chart. Served by ui-router.ts.
 * THREADING: constants.
 */

/** static/ui.css */
export const UI_CSS = `
body{font:14px system-ui,sans-serif;margin:0;color:#222}
header{background:#1f2d3d;color:#fff;padding:8px 12px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
header a.tab{color:#cfe;text-decoration:none;padding:4px 8px;border-radius:4px}
header a.tab.active{background:#3d5a80;color:#fff}.brand{font-weight:700;margin-right:8px}.app{margin-left:auto}
main{padding:12px 16px}table.grid{border-collapse:collapse;margin:6px 0}table.grid td,table.grid th{border:1px solid #ddd;padding:3px 8px;text-align:left}
table.grid th{background:#f3f5f8}.bar{position:relative;width:220px;height:16px;background:#eee;border-radius:3px}
.bar div{position:absolute;left:0;top:0;bottom:0;background:#8fd19e;border-radius:3px}.bar span{position:relative;padding-left:6px;font-size:12px}
.status-RUNNING,.status-ACTIVE{color:#1f6feb}.status-SUCCEEDED,.status-COMPLETE{color:#1a7f37}.status-FAILED{color:#cf222e}.status-INCOMPLETE{color:#9a6700}
.status-DAMAGED{color:#cf222e}.error{color:#cf222e}.muted{color:#777}.charts{display:flex;flex-wrap:wrap;gap:16px}figure.chart{margin:0}
figcaption{font-weight:600;font-size:13px}ul.legend{margin:2px 0;padding-left:18px;font-size:11px}.executor-lost td{background:#fff0f0}.task-FAILED td{background:#fff0f0}pre{background:#f6f8fa;padding:8px;overflow:auto}
`;

/** static/ui.js */
export const UI_JS = `
(function () {
  'use strict';
  var main = document.getElementById('main');
  function pageUrl() {
    var q = location.search ? location.search + '&fragment=1' : '?page=jobs&fragment=1';
    return q;
  }
  var pending = false, last = 0;
  function refresh() {
    if (pending) return;
    var wait = Math.max(0, 250 - (Date.now() - last));
    pending = true;
    setTimeout(function () {
      last = Date.now();
      fetch(pageUrl(), { cache: 'no-store' }).then(function (r) {
        var st = r.headers.get('x-run-status');
        return r.text().then(function (t) {
          main.innerHTML = t;
          var s = document.getElementById('run-status');
          if (s && st) { s.textContent = st; s.className = 'status status-' + st; }
          document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
        });
      }).catch(function () {}).then(function () { pending = false; });
    }, wait);
  }
  if (document.body.dataset.live === '1' && window.EventSource) {
    var es = new EventSource('events');
    es.addEventListener('update', refresh);
    es.addEventListener('done', function () { refresh(); es.close(); });
  }
  // The value under the cursor: nearest point of the first series by x.
  document.addEventListener('mousemove', function (ev) {
    var svg = ev.target && ev.target.closest ? ev.target.closest('svg[data-points]') : null;
    if (!svg) return;
    var pts = JSON.parse(svg.getAttribute('data-points') || '[]')[0] || [];
    if (!pts.length) return;
    var box = svg.getBoundingClientRect();
    var w = Number(svg.dataset.w), pad = Number(svg.dataset.pad), x0 = Number(svg.dataset.x0), x1 = Number(svg.dataset.x1);
    var px = (ev.clientX - box.left) * (w / box.width);
    var x = x0 + ((px - pad) / (w - 2 * pad)) * (x1 - x0);
    var best = pts[0];
    for (var i = 1; i < pts.length; i++) if (Math.abs(pts[i][0] - x) < Math.abs(best[0] - x)) best = pts[i];
    var out = svg.querySelector('.readout');
    if (out) out.textContent = 'x ' + Number(best[0]).toPrecision(4) + ', y ' + Number(best[1]).toPrecision(4) + (best[2] !== undefined ? ', threshold ' + Number(best[2]).toPrecision(4) : '');
  });
})();
`;
