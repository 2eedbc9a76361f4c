/* sovprof report: draws the sections of one self-contained HTML report.
 *
 * Plain JS, no build step, no libraries. The data is the packed payload in
 * #sovprof-data (base64 of zlib-compressed JSON; see app/core/report/packing.py).
 * Every name from a profile is inserted as text (textContent, SVG text nodes,
 * title attributes), never parsed as markup: there is no innerHTML in this file.
 */
'use strict';
(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const R = { ready: false, error: null, renderMs: null, drawnAt: null, data: null, flame: null };
  window.sovprofReport = R;

  // -- DOM helpers ---------------------------------------------------------------------

  function addKids(node, kids) {
    for (const k of kids) {
      if (k === null || k === undefined || k === false) continue;
      if (Array.isArray(k)) addKids(node, k);
      else if (k instanceof Node) node.appendChild(k);
      else node.appendChild(document.createTextNode(String(k)));
    }
    return node;
  }

  function setProps(node, props) {
    for (const key of Object.keys(props || {})) {
      const v = props[key];
      if (v === null || v === undefined || v === false) continue;
      if (key === 'style' || key === 'innerHTML' || key === 'outerHTML') {
        throw new Error('report.js never sets ' + key);
      }
      if (key === 'text') node.textContent = String(v);
      else if (key === 'class') node.setAttribute('class', v);
      else if (key.startsWith('on') && typeof v === 'function') {
        node.addEventListener(key.slice(2), v);
      } else node.setAttribute(key, v === true ? '' : String(v));
    }
    return node;
  }

  /** An HTML element: h('div', {class: 'x', text: 'y', onclick: f}, ...children). */
  function h(tag, props, ...kids) {
    return addKids(setProps(document.createElement(tag), props), kids);
  }

  /** An SVG element. */
  function s(tag, props, ...kids) {
    return addKids(setProps(document.createElementNS(SVG_NS, tag), props), kids);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function swatch(color, line) {
    const sw = h('span', { class: line ? 'swatch line' : 'swatch' });
    sw.style.background = color;
    return sw;
  }

  // -- formatting ----------------------------------------------------------------------

  const intFmt = new Intl.NumberFormat('en-US');

  function fmtInt(n) {
    return n === null || n === undefined || !isFinite(n) ? '—' : intFmt.format(Math.round(n));
  }

  function sig(x, digits) {
    return String(Number(x.toPrecision(digits || 3)));
  }

  function fmtPct(fraction, digits) {
    if (fraction === null || fraction === undefined || !isFinite(fraction)) return '—';
    return (100 * fraction).toFixed(digits === undefined ? 1 : digits) + ' %';
  }

  function fmtTime(sec) {
    if (sec === null || sec === undefined || !isFinite(sec)) return '—';
    const a = Math.abs(sec);
    if (a >= 1) return sig(sec) + ' s';
    if (a >= 1e-3) return sig(sec * 1e3) + ' ms';
    if (a >= 1e-6) return sig(sec * 1e6) + ' µs';
    if (a === 0) return '0 s';
    return sig(sec * 1e9) + ' ns';
  }

  function fmtDuration(sec) {
    if (!isFinite(sec)) return '—';
    if (sec < 60) return sig(sec, 3) + ' s';
    const m = Math.floor(sec / 60);
    const r = Math.round(sec - 60 * m);
    if (m < 60) return m + ' min ' + r + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }

  function fmtSI(x, unit) {
    if (x === null || x === undefined || !isFinite(x)) return '—';
    const a = Math.abs(x);
    const steps = [
      [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'],
    ];
    for (const [scale, suffix] of steps) {
      if (a >= scale) return sig(x / scale) + ' ' + suffix + (unit || '');
    }
    return sig(x) + (unit ? ' ' + unit : '');
  }

  function fmtBytes(b) {
    if (b === null || b === undefined || !isFinite(b)) return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = b;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i += 1;
    }
    return sig(v) + ' ' + units[i];
  }

  function fmtValue(x, unit) {
    if (unit === 'bytes') return fmtBytes(x);
    if (unit === 'bytes/s') return fmtBytes(x) + '/s';
    if (unit === 'ns/s') return sig(x / 1e9) + ' CPU';
    if (unit === 's/s') return sig(x) + ' CPU';
    if (unit === '%') return sig(x) + ' %';
    if (unit === 'count' || unit === 'count/s') return fmtSI(x) + (unit === 'count/s' ? '/s' : '');
    return fmtSI(x) + (unit ? ' ' + unit : '');
  }

  function plural(n, word) {
    return fmtInt(n) + ' ' + word + (n === 1 ? '' : 's');
  }

  function fmtSize(n) {
    if (n >= 1 << 20 && n % (1 << 20) === 0) return n / (1 << 20) + 'M';
    if (n >= 1 << 10 && n % (1 << 10) === 0) return n / (1 << 10) + 'k';
    return fmtInt(n);
  }

  function fmtDate(epoch) {
    if (!epoch) return '—';
    const d = new Date(epoch * 1000);
    const p = (v) => String(v).padStart(2, '0');
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' +
      p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }

  function luminance(hex) {
    const v = parseInt(hex.slice(1), 16);
    return 0.299 * ((v >> 16) & 255) + 0.587 * ((v >> 8) & 255) + 0.114 * (v & 255);
  }

  function undelta(a) {
    const out = new Array(a.length);
    let acc = 0;
    for (let i = 0; i < a.length; i++) {
      acc += a[i];
      out[i] = acc;
    }
    return out;
  }

  // -- the payload ---------------------------------------------------------------------

  async function decodePayload() {
    const node = document.getElementById('sovprof-data');
    const encoding = node.getAttribute('data-encoding');
    if (encoding !== 'zlib+base64') throw new Error('unknown data encoding ' + encoding);
    if (typeof DecompressionStream === 'undefined') {
      throw new Error('this browser cannot decompress the report data ' +
        '(DecompressionStream is missing): open the file in a current browser');
    }
    const bin = atob(node.textContent.trim());
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return JSON.parse(await new Response(stream).text());
  }

  function makeContext(data) {
    const strings = data.strings || [];
    const fns = data.functions || { name: [], file: [], line: [], color: [] };
    const str = (i) => (i === null || i === undefined ? '' : strings[i] === undefined ? '' : strings[i]);
    return {
      data: data,
      str: str,
      fnName: (i) => str(fns.name[i]),
      fnFile: (i) => str(fns.file[i]),
      fnLine: (i) => fns.line[i] || 0,
      fnColor: (i) => fns.color[i],
      threadLabel: (t) => (data.threads && data.threads[t] ? str(data.threads[t].label) : 'thread ' + t),
      flameSearch: null,
    };
  }

  function where(ctx, fn, line) {
    const file = ctx.fnFile(fn);
    if (!file) return '';
    const ln = line === undefined ? ctx.fnLine(fn) : line;
    return ln ? file + ':' + ln : file;
  }

  // -- tooltip -------------------------------------------------------------------------

  const tooltip = {
    node: null,
    show(ev, lines) {
      const tt = this.node || (this.node = document.getElementById('tooltip'));
      clear(tt);
      for (const [cls, text] of lines) tt.appendChild(h('div', { class: cls, text: text }));
      tt.hidden = false;
      const pad = 14;
      const w = tt.offsetWidth;
      const hh = tt.offsetHeight;
      let x = ev.clientX + pad;
      let y = ev.clientY + pad;
      if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - pad);
      if (y + hh > window.innerHeight - 4) y = Math.max(4, ev.clientY - hh - pad);
      tt.style.left = x + 'px';
      tt.style.top = y + 'px';
    },
    hide() {
      if (this.node) this.node.hidden = true;
    },
  };

  // -- a sortable table ----------------------------------------------------------------

  /**
   * columns: [{title, kind: 'text'|'num', fmt(v,row), cls, sortKey(row), help}]
   * rows: arrays; opts: {sort: [col, desc], limit, onRowClick(row), rowTitle(row)}
   */
  function sortableTable(columns, rows, opts) {
    opts = opts || {};
    const state = { col: opts.sort ? opts.sort[0] : -1, desc: opts.sort ? opts.sort[1] : false };
    const limit = opts.limit || 500;
    let showAll = false;
    const wrap = h('div', {});
    const scroller = h('div', { class: 'table-wrap' });
    const table = h('table', { class: 'data' });
    const thead = h('thead');
    const tbody = h('tbody');
    const more = h('div', { class: 'more' });
    table.append(thead, tbody);
    scroller.append(table);
    wrap.append(scroller, more);

    function value(row, i) {
      const c = columns[i];
      return c.sortKey ? c.sortKey(row) : row[i];
    }

    function sorted() {
      if (state.col < 0) return rows.slice();
      const i = state.col;
      const num = columns[i].kind === 'num';
      const out = rows.slice();
      out.sort((a, b) => {
        let va = value(a, i);
        let vb = value(b, i);
        if (num) {
          va = va === null || va === undefined || !isFinite(va) ? -Infinity : va;
          vb = vb === null || vb === undefined || !isFinite(vb) ? -Infinity : vb;
          return state.desc ? vb - va : va - vb;
        }
        const r = String(va).localeCompare(String(vb));
        return state.desc ? -r : r;
      });
      return out;
    }

    function draw() {
      clear(thead);
      const tr = h('tr');
      columns.forEach((c, i) => {
        const arrow = state.col === i ? (state.desc ? ' ▼' : ' ▲') : '';
        const th = h('th', {
          class: 'sortable' + (c.kind === 'num' ? ' num' : ''),
          title: c.help || 'sort by ' + c.title,
          'data-col': i,
          onclick: () => {
            if (state.col === i) state.desc = !state.desc;
            else {
              state.col = i;
              state.desc = c.kind === 'num';
            }
            draw();
          },
        }, c.title, h('span', { class: 'arrow', text: arrow }));
        tr.append(th);
      });
      thead.append(tr);
      clear(tbody);
      const all = sorted();
      const shown = showAll ? all : all.slice(0, limit);
      const frag = document.createDocumentFragment();
      for (const row of shown) {
        const cells = columns.map((c, i) => {
          const v = row[i];
          const cls = (c.kind === 'num' ? 'num ' : '') + (typeof c.cls === 'function' ? c.cls(v, row) : c.cls || '');
          const content = c.fmt ? c.fmt(v, row) : v;
          return h('td', { class: cls.trim() || null }, content);
        });
        const tr2 = h('tr', {
          class: opts.onRowClick ? 'clickable' : null,
          title: opts.rowTitle ? opts.rowTitle(row) : null,
        }, cells);
        if (opts.onRowClick) tr2.addEventListener('click', () => opts.onRowClick(row));
        frag.append(tr2);
      }
      tbody.append(frag);
      clear(more);
      if (all.length > limit) {
        more.append(h('button', {
          text: showAll ? 'Show the first ' + limit : 'Show all ' + fmtInt(all.length) + ' rows',
          onclick: () => {
            showAll = !showAll;
            draw();
          },
        }));
      }
    }
    draw();
    return wrap;
  }

  function bar(fraction) {
    const b = h('span', { class: 'bar' });
    const fill = h('span');
    fill.style.width = Math.max(0, Math.min(100, 100 * fraction)).toFixed(1) + '%';
    b.append(fill);
    return b;
  }

  // -- charts --------------------------------------------------------------------------

  let clipCounter = 0;

  function niceTicks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0)) return [lo];
    let step = Math.pow(10, Math.floor(Math.log10(span / count)));
    const err = (count / span) * step;
    if (err <= 0.15) step *= 10;
    else if (err <= 0.35) step *= 5;
    else if (err <= 0.75) step *= 2;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }

  function logTicks(lo, hi) {
    const out = [];
    const a = Math.floor(Math.log10(lo));
    const b = Math.ceil(Math.log10(hi));
    const every = Math.max(1, Math.ceil((b - a) / 8));
    for (let e = a; e <= b; e += every) {
      const v = Math.pow(10, e);
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
    if (out.length < 2) {
      for (let e = a; e <= b; e++) {
        for (const m of [2, 5]) {
          const v = m * Math.pow(10, e);
          if (v >= lo && v <= hi) out.push(v);
        }
      }
      out.sort((x, y) => x - y);
    }
    return out;
  }

  /**
   * A line/area chart as SVG in a <figure>.
   * opts: {title, sub, width, height, xLog, yLog, xLabel, yLabel, xFmt, yFmt, yZero,
   *   series: [{label, color, points: [[x, y, lo, hi], ...], dash, markers, line, area,
   *             base: [y0...], title(p), legend}],
   *   hlines: [{y, label}], vlines: [{x, label}], bands: [{x0, x1, label}],
   *   hover: [{x0, x1, title}] }
   */
  function chart(opts) {
    const W = opts.width || 560;
    const H = opts.height || 300;
    const M = { l: opts.yLabel ? 76 : 62, r: 16, t: 12, b: 42 };
    const pw = W - M.l - M.r;
    const ph = H - M.t - M.b;
    const okX = (v) => v !== null && v !== undefined && isFinite(v) && (!opts.xLog || v > 0);
    const okY = (v) => v !== null && v !== undefined && isFinite(v) && (!opts.yLog || v > 0);
    const xs = [];
    const ys = [];
    for (const se of opts.series) {
      for (const p of se.points) {
        if (okX(p[0])) xs.push(p[0]);
        for (const v of [p[1], p[2], p[3]]) if (okY(v)) ys.push(v);
      }
      if (se.base) for (const v of se.base) if (okY(v)) ys.push(v);
    }
    for (const l of opts.hlines || []) if (okY(l.y)) ys.push(l.y);
    for (const l of opts.vlines || []) if (okX(l.x) && opts.vlinesInDomain) xs.push(l.x);
    const fig = h('figure', { class: 'chart' });
    if (opts.title) {
      fig.append(h('figcaption', {}, opts.title, opts.sub ? h('span', { class: 'caption-sub', text: ' · ' + opts.sub }) : null));
    }
    if (!xs.length || !ys.length) {
      fig.append(h('p', { class: 'note', text: opts.empty || 'Nothing to plot.' }));
      return fig;
    }
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (opts.yZero && !opts.yLog) y0 = Math.min(0, y0);
    if (opts.xLog) {
      if (x0 === x1) { x0 /= 2; x1 *= 2; }
      x0 /= 1.15; x1 *= 1.15;
    } else if (x0 === x1) { x0 -= 1; x1 += 1; }
    if (opts.yLog) {
      if (y0 === y1) { y0 /= 2; y1 *= 2; }
      y0 /= 1.3; y1 *= 1.3;
    } else {
      if (y0 === y1) { y1 = y0 + 1; }
      y1 += (y1 - y0) * 0.06;
    }
    const tx = opts.xLog ? Math.log10 : (v) => v;
    const ty = opts.yLog ? Math.log10 : (v) => v;
    const [tx0, tx1, ty0, ty1] = [tx(x0), tx(x1), ty(y0), ty(y1)];
    const sx = (v) => M.l + ((tx(v) - tx0) / (tx1 - tx0)) * pw;
    const sy = (v) => M.t + ph - ((ty(v) - ty0) / (ty1 - ty0)) * ph;
    const xFmt = opts.xFmt || ((v) => fmtSI(v));
    const yFmt = opts.yFmt || ((v) => fmtSI(v));
    const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img' });
    const clipId = 'clip' + ++clipCounter;
    svg.append(s('defs', {}, s('clipPath', { id: clipId }, s('rect', { x: M.l, y: M.t - 2, width: pw, height: ph + 4 }))));
    const grid = s('g', { class: 'tick' });
    const yTicks = opts.yLog ? logTicks(y0, y1) : niceTicks(y0, y1, 5);
    for (const v of yTicks) {
      const y = sy(v);
      grid.append(s('line', { class: 'gridline', x1: M.l, x2: M.l + pw, y1: y, y2: y }));
      grid.append(s('text', { x: M.l - 6, y: y + 4, 'text-anchor': 'end' }, yFmt(v)));
    }
    const xTicks = opts.xLog ? logTicks(x0, x1) : niceTicks(x0, x1, Math.max(3, Math.floor(pw / 90)));
    for (const v of xTicks) {
      const x = sx(v);
      grid.append(s('line', { class: 'gridline', x1: x, x2: x, y1: M.t, y2: M.t + ph }));
      grid.append(s('text', { x: x, y: M.t + ph + 15, 'text-anchor': 'middle' }, xFmt(v)));
    }
    svg.append(grid);
    svg.append(s('line', { class: 'axisline', x1: M.l, x2: M.l + pw, y1: M.t + ph, y2: M.t + ph }));
    svg.append(s('line', { class: 'axisline', x1: M.l, x2: M.l, y1: M.t, y2: M.t + ph }));
    if (opts.xLabel) {
      svg.append(s('text', { class: 'axis-title', x: M.l + pw / 2, y: H - 6, 'text-anchor': 'middle' }, opts.xLabel));
    }
    if (opts.yLabel) {
      svg.append(s('text', {
        class: 'axis-title', x: -(M.t + ph / 2), y: 12, transform: 'rotate(-90)', 'text-anchor': 'middle',
      }, opts.yLabel));
    }
    const plot = s('g', { 'clip-path': 'url(#' + clipId + ')' });
    for (const b of opts.bands || []) {
      const a = Math.max(sx(Math.max(b.x0, x0)), M.l);
      const e = Math.min(sx(Math.min(b.x1, x1)), M.l + pw);
      if (e > a) {
        plot.append(s('rect', { class: 'band', x: a, y: M.t, width: e - a, height: ph }, s('title', {}, b.label || '')));
      }
    }
    for (const se of opts.series) {
      const pts = se.points;
      if (se.area && se.base) {
        let d = '';
        for (let i = 0; i < pts.length; i++) d += (i ? 'L' : 'M') + sx(pts[i][0]).toFixed(2) + ' ' + sy(pts[i][1]).toFixed(2);
        for (let i = pts.length - 1; i >= 0; i--) d += 'L' + sx(pts[i][0]).toFixed(2) + ' ' + sy(se.base[i]).toFixed(2);
        const area = s('path', { d: d + 'Z', fill: se.color, 'fill-opacity': se.opacity || 0.75, stroke: se.color, 'stroke-width': 0.8 });
        plot.append(area);
        continue;
      }
      if (se.line !== false) {
        let d = '';
        let pen = false;
        for (const p of pts) {
          if (!okX(p[0]) || !okY(p[1])) {
            pen = false;
            continue;
          }
          d += (pen ? 'L' : 'M') + sx(p[0]).toFixed(2) + ' ' + sy(p[1]).toFixed(2);
          pen = true;
        }
        if (d) {
          plot.append(s('path', {
            d: d, fill: 'none', stroke: se.color, 'stroke-width': se.width || 2,
            'stroke-dasharray': se.dash || null, 'stroke-linejoin': 'round', 'stroke-linecap': 'round',
          }));
        }
      }
      if (se.markers) {
        for (const p of pts) {
          if (!okX(p[0]) || !okY(p[1])) continue;
          const cx = sx(p[0]);
          if (okY(p[2]) && okY(p[3])) {
            plot.append(s('line', { x1: cx, x2: cx, y1: sy(p[2]), y2: sy(p[3]), stroke: se.color, 'stroke-width': 1.2 }));
          }
          plot.append(s('circle', {
            cx: cx, cy: sy(p[1]), r: se.markerSize || 3.2, fill: se.hollow ? '#fff' : se.color,
            stroke: se.color, 'stroke-width': 1.5,
          }, s('title', {}, se.title ? se.title(p) : se.label + ': ' + xFmt(p[0]) + ', ' + yFmt(p[1]))));
        }
      }
    }
    for (const l of opts.hlines || []) {
      if (!okY(l.y) || l.y < y0 || l.y > y1) continue;
      const y = sy(l.y);
      plot.append(s('line', { class: 'ref', x1: M.l, x2: M.l + pw, y1: y, y2: y }));
      const ly = y - M.t < 16 ? y + 14 : y - 5;
      if (l.label) plot.append(s('text', { class: 'ref-label', x: M.l + 6, y: ly }, l.label));
    }
    for (const l of opts.vlines || []) {
      if (!okX(l.x) || l.x < x0 || l.x > x1) continue;
      const x = sx(l.x);
      plot.append(s('line', { class: 'ref', x1: x, x2: x, y1: M.t, y2: M.t + ph }));
      if (l.label) {
        const right = x > M.l + pw * 0.7;
        plot.append(s('text', { class: 'ref-label', x: right ? x - 4 : x + 4, y: M.t + 12, 'text-anchor': right ? 'end' : 'start' }, l.label));
      }
    }
    for (const hv of opts.hover || []) {
      const a = sx(hv.x0);
      const e = Math.max(sx(hv.x1), a + 1);
      plot.append(s('rect', { class: 'hover-target', x: a, y: M.t, width: e - a, height: ph }, s('title', {}, hv.title)));
    }
    svg.append(plot);
    fig.append(svg);
    const legend = opts.series.filter((se) => se.label && se.legend !== false);
    if (legend.length > 1 || opts.alwaysLegend) {
      fig.append(h('div', { class: 'legend' }, legend.map((se) => h('span', { class: 'item' }, swatch(se.color, !se.area), se.label))));
    }
    return fig;
  }

  function tabs(names, labels, onPick, initial) {
    const bar = h('div', { class: 'tabs', role: 'tablist' });
    const first = Math.max(0, names.indexOf(initial));
    const buttons = names.map((n, i) => h('button', {
      'aria-pressed': i === first ? 'true' : 'false',
      'data-tab': n,
      text: labels ? labels[i] : n,
      onclick: () => {
        buttons.forEach((b) => b.setAttribute('aria-pressed', b === buttons[i] ? 'true' : 'false'));
        onPick(n);
      },
    }));
    bar.append(...buttons);
    if (names.length) onPick(names[first]);
    return bar;
  }

  /** The name with the most sizes (the first of equals), preferring ``prefer(name)``. */
  function richest(grid, prefer) {
    let best = null;
    let score = -1;
    for (const [name, sizes] of Object.entries(grid)) {
      const v = sizes.length + (prefer && prefer(name) ? 1000 : 0);
      if (v > score) {
        best = name;
        score = v;
      }
    }
    return best;
  }

  // -- sections ------------------------------------------------------------------------

  function card(id, title, lead) {
    const sec = h('section', { class: 'card', id: id }, h('h2', { text: title }));
    if (lead) sec.append(h('p', { class: 'lead', text: lead }));
    return sec;
  }

  function stat(label, value, sub, cls) {
    return h('div', { class: 'stat' + (cls ? ' ' + cls : '') },
      h('div', { class: 'label', text: label }),
      h('div', { class: 'value', text: value }),
      sub ? h('div', { class: 'sub', text: sub }) : null);
  }

  function kv(pairs) {
    const dl = h('dl', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === null || v === undefined || v === '') continue;
      dl.append(h('dt', { text: k }), h('dd', {}, v));
    }
    return dl;
  }

  const SECTIONS = {};

  SECTIONS.verdict = function (ctx, root) {
    const v = ctx.data.verdict;
    if (!v) return null;
    const box = h('section', { class: 'verdict ' + (v.kind || 'info'), id: 'verdict' },
      h('h2', { text: v.title || '' }));
    if (v.lines && v.lines.length) box.append(h('ul', {}, v.lines.map((l) => h('li', { text: l }))));
    root.append(box);
    return { id: 'verdict', title: 'Verdict' };
  };

  SECTIONS.summary = function (ctx, root) {
    const sm = ctx.data.summary;
    if (!sm) return null;
    const sec = card('summary', 'Summary');
    root.append(sec);
    const lostPct = sm.lost_pct;
    sec.append(h('div', { class: 'stats' },
      stat('Samples', fmtInt(sm.samples), sm.expected ? 'of ' + fmtInt(sm.expected) + ' expected' : null),
      stat('Duration', fmtDuration(sm.duration), fmtInt(sm.windows) + ' sampling windows'),
      stat('Lost samples', lostPct === null || lostPct === undefined ? '—' : sig(lostPct, 2) + ' %',
        fmtInt(sm.lost) + ' samples between windows', lostPct > 5 ? 'bad' : lostPct !== null && lostPct !== undefined ? 'good' : null),
      stat('Sampling rate', sm.rate_hz ? fmtInt(sm.rate_hz) + ' Hz' : '—', null),
      stat('Threads', fmtInt(sm.threads), fmtInt(sm.functions) + ' functions'),
      stat('Status', sm.status || '—', sm.errors ? plural(sm.errors, 'sampling error') : null, sm.status === 'failed' ? 'bad' : null)));
    const opts = sm.options || {};
    const flags = Object.keys(opts).filter((k) => opts[k] === true);
    const session = kv([
      ['Target', ctx.str(sm.target)],
      ['Name', ctx.str(sm.name)],
      ['Session', sm.session === null || sm.session === undefined ? '' : '#' + sm.session],
      ['Process', sm.pid ? 'pid ' + sm.pid : ''],
      ['Started', sm.started ? fmtDate(sm.started) : ''],
      ['Options', flags.length ? flags.join(', ') : 'defaults'],
      ['Message', ctx.str(sm.message)],
    ]);
    const env = sm.environment || {};
    const envList = kv([
      ['sovprof', env.sovprof], ['py-spy', env['py-spy']], ['Python', env.python],
      ['OS', env.os], ['CPU', env.cpu ? env.cpu + (env.cpus ? ' · ' + env.cpus + ' CPUs' : '') : ''],
      ['Machine', env.machine],
    ]);
    sec.append(h('div', { class: 'columns' },
      h('div', {}, h('h3', { text: 'Session' }), session),
      h('div', {}, h('h3', { text: 'Environment' }, h('span', { class: 'faint', text: ' (where this report was written)' })), envList)));
    if (lostPct > 5) {
      sec.append(h('p', { class: 'problem', text: 'More than 5 % of the expected samples were lost between sampling windows: short-lived work may be missing from the flame graph.' }));
    }
    return { id: 'summary', title: 'Summary' };
  };

  // -- the flame graph -----------------------------------------------------------------

  /** Red for growth, blue for shrinking, grey for no change (a differential flame graph). */
  function deltaColor(d, scale, dim) {
    if (d === null || d === undefined || !isFinite(d)) return '#eaeef2';
    const t = Math.max(-1, Math.min(1, d / scale));
    const to = t > 0 ? [215, 48, 39] : [69, 117, 180];
    const a = Math.abs(t) * (dim ? 0.35 : 1);
    const mix = (i) => Math.round(234 + (to[i] - 234) * a);
    return 'rgb(' + mix(0) + ',' + mix(1) + ',' + mix(2) + ')';
  }

  const ROW = 18;
  const MIN_W = 0.5;

  /**
   * An interactive flame graph of ``ctx.data.flame``.
   * opts: {prefix: id prefix of its elements ('flame'), unit: what the widths count
   *   ('samples'), fmt(v): a width as text (default: "1,234 samples"), minWidth: the
   *   narrowest frame drawn, in px (MIN_W)}.
   */
  class FlameGraph {
    constructor(ctx, host, opts) {
      opts = opts || {};
      const f = ctx.data.flame;
      this.ctx = ctx;
      this.host = host;
      this.prefix = opts.prefix || 'flame';
      this.unit = opts.unit || 'samples';
      this.fmtVal = opts.fmt || ((v) => fmtInt(v) + ' samples');
      this.minW = opts.minWidth || MIN_W;
      const n = f.fn.length;
      this.n = n;
      this.fn = f.fn;
      this.parent = new Int32Array(n);
      for (let i = 0; i < n; i++) this.parent[i] = i - f.parent_gap[i];
      this.selfAll = Float64Array.from(f.self);
      this.threadSelf = {};
      for (const t of f.threads || []) this.threadSelf[t.thread] = { node: undelta(t.node), self: t.self };
      // children as one sorted list per parent (slot n is the root's)
      const count = new Int32Array(n + 2);
      for (let i = 0; i < n; i++) count[(this.parent[i] < 0 ? n : this.parent[i]) + 1] += 1;
      for (let i = 1; i < n + 2; i++) count[i] += count[i - 1];
      this.kidStart = count.slice();
      const fill = count.slice();
      this.kidList = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const p = this.parent[i] < 0 ? n : this.parent[i];
        this.kidList[fill[p]++] = i;
      }
      const names = this.fn.map((k) => ctx.fnName(k));
      for (let p = 0; p <= n; p++) {
        const a = this.kidStart[p];
        const b = this.kidStart[p + 1];
        if (b - a > 1) {
          const part = Array.from(this.kidList.subarray(a, b));
          part.sort((x, y) => (names[x] < names[y] ? -1 : names[x] > names[y] ? 1 : this.fn[x] - this.fn[y]));
          this.kidList.set(part, a);
        }
      }
      this.delta = f.delta || null;
      this.deltaScale = f.delta_scale || (this.delta || []).reduce((m, v) => Math.max(m, Math.abs(v || 0)), 1e-9);
      this.lower = null;
      this.mode = 'flame';
      this.focus = -1;
      this.query = '';
      this.thread = -1;
      this.matchFn = null;
      this.computeTotals();
      this.charW = this.measureChar();
    }

    measureChar() {
      const c = document.createElement('canvas').getContext('2d');
      if (!c) return 7.2;
      c.font = '12px ' + getComputedStyle(document.documentElement).getPropertyValue('--mono');
      return c.measureText('MMMMMMMMMM').width / 10 || 7.2;
    }

    computeTotals() {
      const n = this.n;
      let self = this.selfAll;
      if (this.thread >= 0) {
        self = new Float64Array(n);
        const t = this.threadSelf[this.thread];
        if (t) for (let i = 0; i < t.node.length; i++) self[t.node[i]] += t.self[i];
      }
      const total = Float64Array.from(self);
      for (let i = n - 1; i >= 0; i--) if (this.parent[i] >= 0) total[this.parent[i]] += total[i];
      let root = 0;
      for (let i = 0; i < n; i++) if (this.parent[i] < 0) root += total[i];
      this.self = self;
      this.total = total;
      this.rootTotal = root;
    }

    kids(node) {
      const p = node < 0 ? this.n : node;
      return this.kidList.subarray(this.kidStart[p], this.kidStart[p + 1]);
    }

    chain(node) {
      const out = [];
      for (let x = node; x >= 0; x = this.parent[x]) out.push(x);
      return out.reverse();
    }

    totalOf(node) {
      return node < 0 ? this.rootTotal : this.total[node];
    }

    isMatch(node) {
      return node >= 0 && this.matchFn !== null && this.matchFn[this.fn[node]] === 1;
    }

    setQuery(q) {
      this.query = q;
      const needle = q.trim().toLowerCase();
      if (!needle) this.matchFn = null;
      else {
        if (!this.lower) {
          const fns = this.ctx.data.functions.name;
          this.lower = fns.map((_, i) => [this.ctx.fnName(i).toLowerCase(), this.ctx.fnFile(i).toLowerCase()]);
        }
        this.matchFn = new Uint8Array(this.lower.length);
        this.lower.forEach(([a, b], i) => {
          if (a.includes(needle) || b.includes(needle)) this.matchFn[i] = 1;
        });
      }
      this.render();
    }

    /** [share of the view's samples under matching frames, matching functions]. */
    matchStats() {
      if (this.matchFn === null) return null;
      const span = this.totalOf(this.focus);
      let fnCount = 0;
      for (const v of this.matchFn) fnCount += v;
      if (!(span > 0)) return [0, fnCount];
      for (const a of this.chain(this.focus)) if (this.isMatch(a)) return [1, fnCount];
      let covered = 0;
      const stack = Array.from(this.kids(this.focus));
      while (stack.length) {
        const x = stack.pop();
        if (this.isMatch(x)) covered += this.total[x];
        else for (const c of this.kids(x)) stack.push(c);
      }
      return [covered / span, fnCount];
    }

    setFocus(node) {
      this.focus = node;
      tooltip.hide();
      this.render();
    }

    setThread(t) {
      this.thread = t;
      this.computeTotals();
      if (this.focus >= 0 && !(this.total[this.focus] > 0)) this.focus = -1;
      this.render();
    }

    setMode(mode) {
      this.mode = mode;
      this.render();
    }

    color(node) {
      if (node < 0) return '#d0d7de';
      if (this.delta) return deltaColor(this.delta[node], this.deltaScale, this.matchFn !== null);
      const c = this.ctx.fnColor(this.fn[node]);
      const pal = this.ctx.data.palette;
      if (c === undefined || c === null || c < 0 || !pal) return '#c8ccd1';
      return this.matchFn !== null ? pal.dimmed[c] : pal.normal[c];
    }

    label(node) {
      if (node < 0) return 'all · ' + this.fmtVal(this.rootTotal);
      return this.ctx.fnName(this.fn[node]);
    }

    fit(text, w) {
      const room = Math.floor((w - 8) / this.charW);
      if (room < 3) return '';
      return text.length <= room ? text : text.slice(0, room - 1) + '…';
    }

    layout(W) {
      const items = [[-1, 0, 0, W]];
      const chain = this.chain(this.focus);
      chain.forEach((a, k) => items.push([a, k + 1, 0, W]));
      const span = this.totalOf(this.focus);
      if (!(span > 0)) return items;
      const scale = W / span;
      const base = chain.length + 1;
      const stack = [];
      const pushKids = (node, depth, x0) => {
        let x = x0;
        const list = this.kids(node);
        for (let i = 0; i < list.length; i++) {
          const c = list[i];
          const w = this.total[c] * scale;
          if (w >= this.minW) stack.push([c, depth, x, w]);
          x += w;
        }
      };
      pushKids(this.focus, base, 0);
      while (stack.length) {
        const it = stack.pop();
        items.push(it);
        pushKids(it[0], it[1] + 1, it[2]);
      }
      return items;
    }

    render() {
      const svg = this.svg;
      const W = Math.max(320, Math.floor(this.wrap.clientWidth || 1200));
      const items = this.layout(W);
      let maxDepth = 0;
      for (const it of items) if (it[1] > maxDepth) maxDepth = it[1];
      const H = (maxDepth + 1) * ROW;
      const icicle = this.mode === 'icicle';
      clear(svg);
      svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
      svg.setAttribute('width', W);
      svg.setAttribute('height', H);
      const frag = document.createDocumentFragment();
      const ancestors = new Set(this.chain(this.focus));
      for (const [node, depth, x, w] of items) {
        const y = (icicle ? depth : maxDepth - depth) * ROW;
        const match = this.isMatch(node);
        const cls = 'frame' + (match ? ' match' : '') + (ancestors.has(node) && node !== this.focus ? ' anc' : '');
        frag.appendChild(s('rect', {
          class: cls, x: x.toFixed(2), y: y, width: Math.max(w, 0.5).toFixed(2), height: ROW - 1,
          fill: this.color(node), 'data-node': node < 0 ? 'root' : node, 'data-depth': depth,
        }));
        const text = this.fit(this.label(node), w);
        if (text) {
          frag.appendChild(s('text', { x: (x + 4).toFixed(2), y: y + (ROW - 1) / 2, class: match ? 'on-match' : null }, text));
        }
      }
      svg.appendChild(frag);
      this.wrap.scrollTop = icicle ? 0 : this.wrap.scrollHeight;  // the roots in view
      this.drawn = items.length;
      if (!this.again && Math.max(320, Math.floor(this.wrap.clientWidth)) !== W) {
        this.again = true;  // a scroll bar came or went: fit the new width once
        this.render();
        this.again = false;
        return;
      }
      this.updateCrumbs();
      this.updateMatch();
    }

    updateCrumbs() {
      const c = clear(this.crumbs);
      const chain = this.chain(this.focus);
      c.append(h('button', { text: 'all', title: 'show every sample', onclick: () => this.setFocus(-1), 'aria-pressed': chain.length ? 'false' : 'true' }));
      chain.forEach((node, i) => {
        const last = i === chain.length - 1;
        c.append(h('span', { class: 'sep', text: '›' }));
        c.append(h('button', {
          text: this.ctx.fnName(this.fn[node]),
          title: where(this.ctx, this.fn[node]) || this.ctx.fnName(this.fn[node]),
          'aria-pressed': last ? 'true' : 'false',
          onclick: () => this.setFocus(node),
        }));
      });
      if (chain.length) {
        const pct = this.rootTotal ? this.total[this.focus] / this.rootTotal : 0;
        c.append(h('span', { class: 'faint', text: ' · ' + fmtPct(pct) + ' of all ' + this.unit }));
      }
      this.resetButton.disabled = !chain.length;
    }

    updateMatch() {
      const st = this.matchStats();
      const info = this.matchInfo;
      if (st === null) {
        info.textContent = '';
        info.className = 'match-info none';
        return;
      }
      const [share, fnCount] = st;
      info.className = 'match-info' + (fnCount ? '' : ' none');
      info.textContent = fnCount
        ? fmtPct(share) + ' matched' + (this.focus >= 0 ? ' (of the zoomed frame)' : '') + ' · ' + fmtInt(fnCount) + (fnCount === 1 ? ' function' : ' functions')
        : 'no match';
    }

    tooltipFor(ev, node) {
      const lines = [];
      const all = this.rootTotal || 1;
      const span = this.totalOf(this.focus) || 1;
      if (node < 0) {
        lines.push(['tt-title', 'all ' + this.unit]);
        lines.push(['', this.fmtVal(this.rootTotal) + (this.thread >= 0 ? ' in ' + this.ctx.threadLabel(this.thread) : '')]);
      } else {
        const fn = this.fn[node];
        lines.push(['tt-title', this.ctx.fnName(fn)]);
        const loc = where(this.ctx, fn);
        if (loc) lines.push(['tt-sub', loc]);
        const tot = this.total[node];
        let line = 'total ' + this.fmtVal(tot) + ' · ' + fmtPct(tot / all) + ' of all';
        if (this.focus >= 0) line += ' · ' + fmtPct(tot / span) + ' of the zoomed frame';
        lines.push(['', line]);
        lines.push(['', 'self ' + this.fmtVal(this.self[node]) + ' · ' + fmtPct(this.self[node] / all)]);
        if (this.delta) {
          const d = this.delta[node];
          lines.push(['', d === null || d === undefined ? 'no change measured' : 'change ' + (d > 0 ? '+' : '') + fmtPct(d, 2)]);
        }
        if (this.ctx.fnName(fn) === '(pruned)') {
          lines.push(['tt-hint', 'stacks below the pruning threshold, folded together so totals stay exact']);
        }
      }
      lines.push(['tt-hint', node === this.focus ? 'click to zoom out' : 'click to zoom']);
      tooltip.show(ev, lines);
    }

    mount() {
      const ctx = this.ctx;
      const host = this.host;
      this.search = h('input', {
        type: 'search', placeholder: 'Search functions or files…', 'aria-label': 'search the flame graph',
        id: this.prefix + '-search', spellcheck: 'false', autocomplete: 'off',
      });
      let timer = 0;
      this.search.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.setQuery(this.search.value), 80);
      });
      this.search.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') {
          this.search.value = '';
          this.setQuery('');
        }
      });
      this.matchInfo = h('span', { class: 'match-info none', id: this.prefix + '-match', 'aria-live': 'polite' });
      const toolbar = h('div', { class: 'toolbar' }, this.search, this.matchInfo, h('span', { class: 'grow' }));
      const threads = ctx.data.threads || [];
      if (threads.length > 1 && ctx.data.flame.threads) {
        const sel = h('select', { 'aria-label': 'thread', id: this.prefix + '-thread' },
          h('option', { value: '-1', text: 'All threads (' + this.fmtVal(ctx.data.flame.total) + ')' }),
          threads.map((t, i) => h('option', { value: String(i), text: ctx.str(t.label) + ' (' + this.fmtVal(t.samples) + ')' })));
        sel.addEventListener('change', () => this.setThread(parseInt(sel.value, 10)));
        toolbar.append(sel);
      }
      const modes = h('span', { class: 'segmented', role: 'group', 'aria-label': 'orientation' });
      const mk = (mode, text, tip) => h('button', {
        text: text, title: tip, 'data-mode': mode, 'aria-pressed': this.mode === mode ? 'true' : 'false',
        onclick: () => {
          for (const b of modes.children) b.setAttribute('aria-pressed', b.getAttribute('data-mode') === mode ? 'true' : 'false');
          this.setMode(mode);
        },
      });
      modes.append(mk('flame', 'Flame', 'roots at the bottom'), mk('icicle', 'Icicle', 'roots at the top'));
      this.resetButton = h('button', { text: 'Reset zoom', id: this.prefix + '-reset', onclick: () => this.setFocus(-1) });
      toolbar.append(modes, this.resetButton);
      this.crumbs = h('div', { class: 'crumbs', id: this.prefix + '-crumbs', 'aria-label': 'zoom path' });
      this.wrap = h('div', { class: 'flame-wrap' });
      this.svg = s('svg', { class: 'flame', id: this.prefix + '-svg', role: 'img', 'aria-label': this.prefix === 'flame' ? 'flame graph' : this.prefix + ' flame graph' });
      this.wrap.append(this.svg);
      host.append(toolbar, this.crumbs, this.wrap);
      this.svg.addEventListener('click', (ev) => {
        const t = ev.target.closest('[data-node]');
        if (!t) return;
        const v = t.getAttribute('data-node');
        const node = v === 'root' ? -1 : parseInt(v, 10);
        this.setFocus(node === this.focus && node >= 0 ? this.parent[node] : node);
      });
      this.svg.addEventListener('mousemove', (ev) => {
        const t = ev.target.closest('[data-node]');
        if (!t) return tooltip.hide();
        const v = t.getAttribute('data-node');
        this.tooltipFor(ev, v === 'root' ? -1 : parseInt(v, 10));
      });
      this.svg.addEventListener('mouseleave', () => tooltip.hide());
      let resize = 0;
      window.addEventListener('resize', () => {
        clearTimeout(resize);
        resize = setTimeout(() => { if (this.svg.isConnected) this.render(); }, 120);
      });
      this.render();
    }
  }

  SECTIONS.flame = function (ctx, root) {
    const f = ctx.data.flame;
    if (!f) return null;
    const sec = card('flame', 'Flame graph',
      'Every sample, stacks merged by function. Width is the share of samples; click a frame to zoom, search to highlight.');
    root.append(sec);
    if (!f.fn.length) {
      sec.append(h('p', { class: 'note', text: 'No samples were recorded.' }));
      return { id: 'flame', title: 'Flame graph' };
    }
    const host = h('div');
    sec.append(host);
    const graph = new FlameGraph(ctx, host);
    graph.mount();
    R.flame = graph;
    ctx.flameSearch = (text) => {
      graph.search.value = text;
      graph.setQuery(text);
      sec.scrollIntoView({ block: 'start' });
    };
    const pr = f.pruned || {};
    const notes = [f.delta ? 'Colours: red grew, blue shrank, grey unchanged' : 'Colours: one per module or package',
      fmtInt(f.fn.length) + ' call-tree nodes in the data'];
    if (pr.nodes) {
      notes.push('pruned: ' + fmtInt(pr.nodes) + ' call paths under ' + fmtInt(pr.min_samples) +
        ' samples each (' + fmtInt(pr.samples) + ' samples) are folded into “(pruned)” frames; totals stay exact');
    }
    sec.append(h('div', { class: 'legend-line' }, notes.map((t) => h('span', { text: t }))));
    return { id: 'flame', title: 'Flame graph' };
  };

  SECTIONS.top = function (ctx, root) {
    const t = ctx.data.top;
    if (!t) return null;
    const total = (ctx.data.summary && ctx.data.summary.samples) || (ctx.data.flame && ctx.data.flame.total) || 1;
    const sec = card('top', 'Top functions',
      'Self: samples with the function executing. Total: samples with it anywhere on the stack (counted once under recursion). Click a row to find it in the flame graph.');
    root.append(sec);
    const rows = t.fn.map((fn, i) => [ctx.fnName(fn), where(ctx, fn, t.line[i]), t.self[i], t.self[i] / total, t.total[i], t.total[i] / total]);
    const pct = (v) => h('span', {}, fmtPct(v), bar(v));
    sec.append(sortableTable([
      { title: 'Function', kind: 'text', cls: 'fn' },
      { title: 'Location', kind: 'text', cls: 'loc' },
      { title: 'Self', kind: 'num', fmt: fmtInt },
      { title: 'Self %', kind: 'num', fmt: pct },
      { title: 'Total', kind: 'num', fmt: fmtInt },
      { title: 'Total %', kind: 'num', fmt: pct },
    ], rows, {
      sort: [2, true], limit: 200,
      onRowClick: (row) => ctx.flameSearch && ctx.flameSearch(row[0]),
    }));
    if (t.functions > rows.length) {
      sec.append(h('p', { class: 'faint', text: 'Showing the ' + fmtInt(rows.length) + ' busiest of ' + fmtInt(t.functions) + ' functions.' }));
    }
    return { id: 'top', title: 'Top functions' };
  };

  const SERIES_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f', '#bab0ac'];

  SECTIONS.timeline = function (ctx, root) {
    const tl = ctx.data.timeline;
    if (!tl) return null;
    const sec = card('timeline', 'Timeline', 'Samples per second in each sampling window, stacked by thread; the dashed line is what the sampling rate promised.');
    root.append(sec);
    const n = tl.start.length;
    if (!n) {
      sec.append(h('p', { class: 'note', text: 'No sampling windows.' }));
      return { id: 'timeline', title: 'Timeline' };
    }
    const dur = tl.start.map((a, i) => Math.max(1e-6, tl.end[i] - a));
    const cum = new Array(n).fill(0);
    const series = [];
    tl.series.forEach((se, k) => {
      const base = cum.slice();
      const pts = [];
      const basePts = [];
      for (let i = 0; i < n; i++) {
        cum[i] += se.samples[i] / dur[i];
        pts.push([tl.start[i], cum[i]], [tl.end[i], cum[i]]);
        basePts.push(base[i], base[i]);
      }
      series.push({ label: ctx.str(se.label), color: SERIES_COLORS[k % SERIES_COLORS.length], points: pts, base: basePts, area: true });
    });
    const exp = [];
    for (let i = 0; i < n; i++) {
      const v = tl.expected[i] ? tl.expected[i] / dur[i] : null;
      exp.push([tl.start[i], v], [tl.end[i], v]);
    }
    if (tl.expected.some((v) => v > 0)) {
      series.push({ label: 'expected (rate × time)', color: '#57606a', points: exp, dash: '5 4', width: 1.4 });
    }
    const hover = [];
    for (let i = 0; i < n; i++) {
      const got = tl.series.reduce((a, se) => a + se.samples[i], 0);
      hover.push({
        x0: tl.start[i], x1: tl.end[i],
        title: sig(tl.start[i], 4) + '–' + sig(tl.end[i], 4) + ' s: ' + fmtInt(got) + ' samples' +
          (tl.expected[i] ? ' of ' + fmtInt(tl.expected[i]) + ' expected' : ''),
      });
    }
    sec.append(chart({
      width: 1300, height: 260, series: series, yZero: true, xLabel: 'seconds since the start',
      yLabel: 'samples / s', xFmt: (v) => sig(v, 3) + ' s', hover: hover, alwaysLegend: true,
    }));
    if (tl.per_bin > 1) sec.append(h('p', { class: 'faint', text: 'Each bar sums ' + tl.per_bin + ' consecutive windows.' }));
    return { id: 'timeline', title: 'Timeline' };
  };

  SECTIONS.counters = function (ctx, root) {
    const c = ctx.data.counters;
    if (!c) return null;
    const sec = card('counters', 'Counters', 'Read from the target process once per sampling window: rates for cumulative counters, levels for gauges.');
    root.append(sec);
    if (!c.series.length) sec.append(h('p', { class: 'note', text: 'No counter was recorded with this session.' }));
    const grid = h('div', { class: 'charts small' });
    const flat = [];
    c.series.forEach((se, k) => {
      if (se.v.length && se.v.every((v) => v === se.v[0])) {
        flat.push([se.name, se.description, fmtValue(se.v[0], se.unit)]);
        return;
      }
      const pts = se.t.map((t, i) => [t, se.v[i]]);
      grid.append(chart({
        title: se.name, sub: se.description, width: 420, height: 190, yZero: true,
        series: [{ label: se.name, color: SERIES_COLORS[k % SERIES_COLORS.length], points: pts, markers: pts.length <= 60, markerSize: 2.5,
          title: (p) => se.name + ' at ' + sig(p[0], 3) + ' s: ' + fmtValue(p[1], se.unit) }],
        xFmt: (v) => sig(v, 3) + ' s', yFmt: (v) => fmtValue(v, se.unit),
      }));
    });
    sec.append(grid);
    if (flat.length) {
      sec.append(h('h3', { text: 'Constant over the whole session' }));
      sec.append(sortableTable([
        { title: 'Counter', kind: 'text', cls: 'mono' },
        { title: 'What it counts', kind: 'text', cls: 'muted' },
        { title: 'Value in every window', kind: 'text' },
      ], flat, { limit: 100 }));
    }
    if (c.unsupported && c.unsupported.length) {
      sec.append(h('h3', { text: 'Not available on this machine' }));
      sec.append(h('p', { class: 'muted', text: 'These counters could not be read, so they are missing rather than shown as zero.' }));
      sec.append(sortableTable([
        { title: 'Counter', kind: 'text', cls: 'mono' },
        { title: 'Why', kind: 'text' },
        { title: 'How to get it', kind: 'text', cls: 'muted' },
      ], c.unsupported.map((u) => [u.name, u.reason, u.fix || '—']), { limit: 100 }));
    }
    return { id: 'counters', title: 'Counters' };
  };

  // -- waste ---------------------------------------------------------------------------

  /** A stacked bar of [{name, color}] classes over ``counts``; ``big`` labels its segments. */
  function wasteBar(classes, counts, big) {
    const total = classes.reduce((a, c) => a + (counts[c.name] || 0), 0);
    const bar = h('div', { class: big ? 'waste-bar' : 'waste-bar mini', role: 'img' });
    const parts = [];
    for (const c of classes) {
      const n = counts[c.name] || 0;
      if (!total || !n) continue;
      const share = n / total;
      parts.push(c.name + ' ' + fmtPct(share));
      const seg = h('span', { 'data-class': c.name, title: c.name + ': ' + fmtPct(share) + ' · ' + plural(n, 'sample') });
      seg.style.width = (100 * share).toFixed(3) + '%';
      seg.style.background = c.color;
      if (big && share >= 0.07) seg.textContent = c.name + ' ' + fmtPct(share);
      bar.append(seg);
    }
    bar.setAttribute('aria-label', total ? parts.join(', ') : 'no samples');
    return bar;
  }

  SECTIONS.waste = function (ctx, root) {
    const w = ctx.data.waste;
    if (!w) return null;
    const sec = card('waste', 'Waste',
      'Every sample classified by its stack, from the leaf up: compute (on-CPU work), waiting (the thread is blocked: sleeps, locks, queues, I/O, the GIL) or transport (the thread only moves data: copies, conversions, serialization). Click a frame to find it in the flame graph.');
    root.append(sec);
    if (!w.samples) {
      sec.append(h('p', { class: 'note', text: 'No samples were recorded.' }));
      return { id: 'waste', title: 'Waste' };
    }
    sec.append(wasteBar(w.classes, w.counts, true));
    sec.append(h('div', { class: 'stats waste-stats' }, w.classes.map((c) => stat(
      c.name, fmtPct(w.shares[c.name]), plural(w.counts[c.name] || 0, 'sample') + ' · ' + c.meaning, 'class-' + c.name))));
    sec.querySelectorAll('.waste-stats .stat').forEach((el, i) => {
      el.querySelector('.label').prepend(swatch(w.classes[i].color));
    });
    const notes = [];
    if (!w.idle) notes.push('Waiting shows only where it was sampled: py-spy skips idle threads unless the session is recorded with --idle.');
    if (!w.native) notes.push('GIL waits (take_gil) and native copies (memcpy) show with --native.');
    notes.push('Rules: ' + plural(w.rules, 'rule') + (w.user_rules ? ', ' + fmtInt(w.user_rules) + ' of them from waste-rules.toml' : ' (built in; extend them in $SOVPROF_HOME/waste-rules.toml)') + '.');
    sec.append(h('div', { class: 'legend-line' }, notes.map((t) => h('span', { text: t }))));
    if (w.problem) sec.append(h('p', { class: 'problem', text: w.problem }));

    if (w.threads.length > 1) {
      sec.append(h('h3', { text: 'Per thread' }));
      const rows = w.threads.map((t) => {
        const share = (c) => (t.samples ? (t.counts[c] || 0) / t.samples : null);
        return [ctx.str(t.label), t.samples, share('waiting') + share('transport'), share('compute'), share('waiting'), share('transport'), t];
      });
      sec.append(sortableTable([
        { title: 'Thread', kind: 'text', cls: 'mono' },
        { title: 'Samples', kind: 'num', fmt: fmtInt },
        { title: 'Breakdown', kind: 'num', fmt: (v, row) => wasteBar(w.classes, row[6].counts, false), help: 'sort by the share of waiting and transport' },
        { title: 'Compute', kind: 'num', fmt: (v) => fmtPct(v) },
        { title: 'Waiting', kind: 'num', fmt: (v) => fmtPct(v) },
        { title: 'Transport', kind: 'num', fmt: (v) => fmtPct(v) },
      ], rows, { sort: [1, true], limit: 16 }));
    }

    sec.append(h('h3', { text: 'Where each class comes from' }));
    const cols = h('div', { class: 'causes' });
    for (const c of w.classes) {
      const list = (w.causes && w.causes[c.name]) || [];
      const box = h('div', { class: 'cause-list', 'data-class': c.name },
        h('h4', {}, swatch(c.color), c.name, h('span', { class: 'faint', text: ' · ' + fmtPct(w.shares[c.name]) })));
      if (!list.length) box.append(h('p', { class: 'faint', text: 'No sample in this class.' }));
      for (const k of list) {
        const name = ctx.str(k.function);
        const file = ctx.str(k.file);
        const item = h('div', {
          class: 'cause clickable', title: 'find ' + name + ' in the flame graph',
          onclick: () => ctx.flameSearch && ctx.flameSearch(name),
        },
        h('div', { class: 'cause-head' }, h('span', { class: 'fn', text: name }),
          h('span', { class: 'num', text: fmtPct(k.samples / w.samples) })),
        h('div', { class: 'loc', text: file ? (k.line ? file + ':' + k.line : file) : '' }),
        c.name === 'compute' ? null : h('div', { class: 'muted why', text: ctx.str(k.why) }));
        box.append(item);
      }
      cols.append(box);
    }
    sec.append(cols);
    return { id: 'waste', title: 'Waste' };
  };

  // -- allocations ---------------------------------------------------------------------

  const ALLOC_MODES = {
    bytes: { unit: 'bytes', fmt: (v) => fmtBytes(v), rate: 'bytes_per_s', rateFmt: (v) => fmtBytes(v) + '/s', axis: 'bytes / s' },
    count: { unit: 'allocations', fmt: (v) => fmtInt(v) + ' allocations', rate: 'allocations_per_s', rateFmt: (v) => fmtSI(v) + '/s', axis: 'allocations / s' },
  };

  function allocRateChart(a, mode) {
    const r = a.rate;
    const m = ALLOC_MODES[mode];
    const n = r.start.length;
    // bytes/s in one binary unit, so that the axis gets round ticks
    let scale = 1;
    let unit = '';
    if (mode === 'bytes') {
      const top = Math.max(0, ...r.bytes_per_s);
      for (const [k, u] of [[1 << 30, 'GiB'], [1 << 20, 'MiB'], [1 << 10, 'KiB']]) {
        if (top >= k) {
          scale = k;
          unit = u;
          break;
        }
      }
      unit = unit || 'B';
    }
    const yFmt = mode === 'bytes' ? (v) => sig(v) + ' ' + unit + '/s' : m.rateFmt;
    const pts = [];
    const base = [];
    const hover = [];
    for (let i = 0; i < n; i++) {
      const v = r[m.rate][i] / scale;
      pts.push([r.start[i], v], [r.end[i], v]);
      base.push(0, 0);
      hover.push({
        x0: r.start[i], x1: r.end[i],
        title: sig(r.start[i], 4) + '–' + sig(r.end[i], 4) + ' s: ' + fmtSI(r.allocations_per_s[i]) + ' allocations/s · ' + fmtBytes(r.bytes_per_s[i]) + '/s',
      });
    }
    const series = [{ label: m.axis, color: mode === 'bytes' ? '#e15759' : '#4e79a7', points: pts, base: base, area: true, opacity: 0.55 }];
    // the CPU profile's span, so that the x axis matches the timeline's
    series.push({ label: '', points: [[0, 0], [Math.max(r.span, 1e-3), 0]], line: false, legend: false });
    return chart({
      width: 1300, height: 200, series: series, yZero: true, xLabel: 'seconds since the start',
      yLabel: m.axis, xFmt: (v) => sig(v, 3) + ' s', yFmt: yFmt, hover: hover,
    });
  }

  SECTIONS.allocations = function (ctx, root) {
    const a = ctx.data.allocations;
    if (!a) return null;
    const sm = a.summary;
    const sec = card('allocations', 'Allocations',
      'Every allocation of the run, recorded with memray alongside the CPU samples. Allocation is the silent killer: a buffer allocated on every pass of a hot loop costs a malloc, a free and often a zero-fill each time, and shows as such in neither the code nor a CPU profile.');
    root.append(sec);
    const hot = a.hot_loops || [];
    sec.append(h('div', { class: 'stats' },
      stat('Allocations', fmtInt(sm.total_allocations), sm.allocations_per_s ? fmtSI(sm.allocations_per_s) + ' per second' : null),
      stat('Allocated', fmtBytes(sm.total_bytes), sm.bytes_per_s ? fmtBytes(sm.bytes_per_s) + ' per second' : null),
      stat('Peak memory', fmtBytes(sm.peak_memory), 'the most held at once'),
      stat('Recorded', fmtDuration(sm.duration_s), (sm.mode === 'attach' ? 'memray attach' : 'launched under memray') + (sm.native ? ' · native stacks' : '')),
      stat('Hot loops', fmtInt(hot.length), hot.length ? 'hot functions that allocate heavily' : 'none found', hot.length ? 'bad' : 'good')));
    if (sm.truncated || sm.left_out_allocations) {
      sec.append(h('p', { class: 'faint', text: (sm.truncated ? 'The capture was truncated. ' : '') +
        (sm.left_out_allocations ? fmtInt(sm.left_out_allocations) + ' allocations without a Python stack are left out.' : '') }));
    }

    sec.append(h('h3', { text: 'Allocations inside hot loops' }));
    const th = a.thresholds || {};
    const rule = 'hot: at least ' + fmtPct(th.hot_self === undefined ? 0.05 : th.hot_self, 0) + ' of the CPU samples in its own lines or ' +
      fmtPct(th.hot_total === undefined ? 0.1 : th.hot_total, 0) + ' with callees; allocating heavily: at least ' +
      fmtBytes(th.min_bytes_per_s === undefined ? 16 * 1048576 : th.min_bytes_per_s) + '/s or ' +
      fmtInt(th.min_allocations_per_s === undefined ? 5000 : th.min_allocations_per_s) + ' allocations/s in its own lines.';
    if (!hot.length) {
      sec.append(h('p', { class: 'note', text: 'No function is both hot in the CPU samples and allocating heavily (' + rule + ')' }));
    } else {
      sec.append(h('p', { class: 'muted', text: 'Functions that are hot in the CPU samples and allocate heavily in their own lines (' + rule + ')' }));
      const list = h('div', { class: 'findings' });
      for (const f of hot) {
        const name = ctx.str(f.function);
        const file = ctx.str(f.file);
        list.append(h('div', { class: 'finding', 'data-function': name },
          h('div', { class: 'finding-head' },
            h('span', { class: 'fn', text: name }),
            h('span', { class: 'loc', text: file ? (f.line ? file + ':' + f.line : file) : '' }),
            h('span', { class: 'grow' }),
            h('span', { class: 'pill', text: fmtPct(f.cpu_total_share, 0) + ' CPU' }),
            h('span', { class: 'pill bad', text: fmtSI(f.allocations_per_s) + ' allocations/s' }),
            h('span', { class: 'pill bad', text: fmtBytes(f.bytes_per_s) + '/s' })),
          h('p', { class: 'why', text: ctx.str(f.why) })));
      }
      sec.append(list);
    }

    let mode = 'bytes';
    let graph = null;
    const flameHost = h('div', { class: 'alloc-flame' });
    const rateHost = h('div');
    const tableHost = h('div');
    const flameNote = h('div', { class: 'legend-line' });
    const draw = () => {
      const m = ALLOC_MODES[mode];
      const query = graph ? graph.search.value : '';
      clear(flameHost);
      const f = a['flame_' + mode];
      const sub = makeContext(Object.assign({}, ctx.data, { functions: a.functions, threads: a.threads, flame: f }));
      graph = null;
      R.allocFlame = null;
      if (f && f.fn.length) {
        // frames under 2 px are left out: a few big allocators next to deep, thin import
        // stacks would otherwise leave the graph mostly empty
        graph = new FlameGraph(sub, flameHost, { prefix: 'alloc', unit: m.unit, fmt: m.fmt, minWidth: 2 });
        graph.mount();
        if (query) {
          graph.search.value = query;
          graph.setQuery(query);
        }
        R.allocFlame = graph;
      } else {
        flameHost.append(h('p', { class: 'note', text: 'No allocation was recorded.' }));
      }
      clear(flameNote);
      const pr = (f && f.pruned) || {};
      flameNote.append(h('span', { text: 'Width is the share of ' + (mode === 'bytes' ? 'the bytes allocated' : 'the allocations') + ' with that call path on the stack' }));
      if (pr.nodes) flameNote.append(h('span', { text: 'pruned: ' + fmtInt(pr.nodes) + ' small call paths folded into “(pruned)” frames; totals stay exact' }));
      clear(rateHost);
      if (a.rate.timed && a.rate.start.length) rateHost.append(allocRateChart(a, mode));
      else {
        rateHost.append(h('p', { class: 'note', text: 'No clock in this capture (memray attach), so no rate over time' +
          (sm.allocations_per_s ? ': ' + fmtSI(sm.allocations_per_s) + ' allocations/s and ' + fmtBytes(sm.bytes_per_s) + '/s over the whole capture.' : '.') }));
      }
      clear(tableHost);
      tableHost.append(allocatorsTable(ctx, a, mode, (name) => {
        if (!graph) return;
        graph.search.value = name;
        graph.setQuery(name);
        flameHost.scrollIntoView({ block: 'start' });
      }));
    };
    const toggle = h('span', { class: 'segmented', role: 'group', 'aria-label': 'weigh allocations by', id: 'alloc-mode' });
    const mk = (m, text, tip) => h('button', {
      text: text, title: tip, 'data-mode': m, 'aria-pressed': m === mode ? 'true' : 'false',
      onclick: () => {
        if (m === mode) return;
        mode = m;
        for (const b of toggle.children) b.setAttribute('aria-pressed', b.getAttribute('data-mode') === m ? 'true' : 'false');
        draw();
      },
    });
    toggle.append(mk('bytes', 'Bytes', 'weigh by the bytes allocated'), mk('count', 'Count', 'weigh by the number of allocations'));
    sec.append(h('div', { class: 'toolbar section-toolbar' }, h('h3', { text: 'Allocation flame graph' }), h('span', { class: 'grow' }), h('span', { class: 'muted', text: 'Weigh by ' }), toggle));
    sec.append(flameHost, flameNote);
    sec.append(h('h3', { text: 'Allocations over time' }), rateHost);
    sec.append(h('h3', { text: 'Top allocating functions' }),
      h('p', { class: 'muted', text: 'Own: allocations made in the function’s own lines. Total: with everything it calls. Click a row to find it in the allocation flame graph.' }),
      tableHost);
    draw();
    return { id: 'allocations', title: 'Allocations' };
  };

  function allocatorsTable(ctx, a, mode, onPick) {
    const t = a.top;
    const fnName = (i) => ctx.str(a.functions.name[i]);
    const fnFile = (i) => ctx.str(a.functions.file[i]);
    const bytes = a.summary.total_bytes || 1;
    const count = a.summary.total_allocations || 1;
    const rows = t.fn.map((fn, i) => {
      const file = fnFile(fn);
      return [fnName(fn), file ? (t.line[i] ? file + ':' + t.line[i] : file) : '', t.self_bytes[i], t.self_count[i], t.total_bytes[i], t.total_count[i]];
    });
    const withBar = (fmt, whole) => (v) => h('span', {}, fmt(v), bar(v / whole));
    const table = sortableTable([
      { title: 'Function', kind: 'text', cls: 'fn' },
      { title: 'Location', kind: 'text', cls: 'loc' },
      { title: 'Own bytes', kind: 'num', fmt: withBar(fmtBytes, bytes) },
      { title: 'Own allocations', kind: 'num', fmt: withBar(fmtInt, count) },
      { title: 'Total bytes', kind: 'num', fmt: fmtBytes },
      { title: 'Total allocations', kind: 'num', fmt: fmtInt },
    ], rows, { sort: [mode === 'bytes' ? 2 : 3, true], limit: 50, onRowClick: (row) => onPick(row[0]) });
    const out = h('div', { id: 'alloc-top' }, table);
    if (t.functions > rows.length) {
      out.append(h('p', { class: 'faint', text: 'Showing the ' + fmtInt(rows.length) + ' busiest of ' + fmtInt(t.functions) + ' functions.' }));
    }
    return out;
  }

  // -- kernel suites -------------------------------------------------------------------

  function tierLabel(t) {
    return t === 'numpy' ? 'numpy (vendor library)' : t;
  }

  function cellOk(c) {
    return c.correct && !c.error && c.median_s;
  }

  function cellStatus(c) {
    if (c.error) return ['failed: ' + String(c.error).trim().split('\n')[0], 'err'];
    if (!c.correct) return ['failed: wrong result', 'err'];
    if (!c.median_s) return ['failed: no timing', 'err'];
    if (c.asm && c.asm.problem) return ['⚠ not ' + c.tier + ': ' + c.asm.problem, 'warn'];
    if (c.comparison && c.comparison.verdict) {
      return [c.comparison.verdict + ' ' + (100 * (c.comparison.change || 0)).toFixed(1) + ' %', c.comparison.verdict === 'regressed' ? 'warn' : 'ok'];
    }
    return ['ok', 'ok'];
  }

  SECTIONS.kernels = function (ctx, root) {
    const k = ctx.data.kernels;
    if (!k) return null;
    const sec = card('kernels', 'Kernel suites', 'The latest benchmark run in this store: every kernel on every execution tier of this machine, with numpy as the correctness reference and vendor-library baseline.');
    root.append(sec);
    if (!k.run) {
      sec.append(h('p', { class: 'note', text: 'No benchmark run in this store yet: run `sovprof bench` (and `sovprof calibrate`) and write the report again.' }));
      return { id: 'kernels', title: 'Kernels' };
    }
    const cells = k.cells;
    const failed = cells.filter((c) => !cellOk(c)).length;
    const run = k.run;
    sec.append(h('div', { class: 'stats' },
      stat('Run', '#' + run.id + (run.name ? ' ' + run.name : ''), fmtDate(run.created)),
      stat('Status', run.status || '—', null, run.status === 'complete' ? 'good' : 'bad'),
      stat('Cells', fmtInt(cells.length), failed ? fmtInt(failed) + ' failed' : 'all correct', failed ? 'bad' : null),
      stat('Kernels', fmtInt(k.kernels.length), null),
      stat('Tiers', fmtInt(k.tiers.length), k.tiers.join(' · '))));
    const fp = run.fingerprint || {};
    const devices = (fp.opencl_devices || []).map((d) => d.tier + ': ' + d.device + (d.driver ? ' (driver ' + d.driver + ')' : '')).join('; ');
    const calib = k.calibration;
    const left = h('div', {}, h('h3', { text: 'Machine' }), kv([
      ['CPU', fp.cpu], ['Architecture', fp.machine], ['OS', fp.os], ['Python', fp.python],
      ['numpy', fp.numpy ? fp.numpy + (fp.blas ? ' · ' + fp.blas : '') : ''], ['numba', fp.numba ? fp.numba + (fp.llvm ? ' · LLVM ' + fp.llvm : '') : ''],
      ['pyopencl', fp.pyopencl], ['OpenCL devices', devices || 'none'], ['Dask', fp.dask],
      ['SIMD flags', (fp.simd_flags || []).join(' ')],
    ]));
    const right = h('div', {}, h('h3', { text: 'Calibration' }));
    if (calib) {
      right.append(h('p', { class: 'muted', text: 'Calibration #' + calib.id + ' · ' + fmtDate(calib.created) + ': the roofs the selector and roofline use.' }));
      right.append(sortableTable([
        { title: 'Tier', kind: 'text', cls: 'mono' },
        { title: 'Peak', kind: 'num', fmt: (v) => (v ? fmtSI(v, 'FLOP/s') : '—') },
        { title: 'BW (cache)', kind: 'num', fmt: (v) => (v ? fmtBytes(v) + '/s' : '—'), help: 'triad bandwidth at the smallest working set' },
        { title: 'BW (DRAM)', kind: 'num', fmt: (v) => (v ? fmtBytes(v) + '/s' : '—'), help: 'triad bandwidth at the largest working set' },
        { title: 'Overhead', kind: 'num', fmt: fmtTime, help: 'call overhead (CPU), launch latency (OpenCL) or round trip (Dask)' },
        { title: 'Host↔device', kind: 'num', fmt: (v) => (v ? fmtBytes(v) + '/s' : '—') },
      ], calib.tiers.map((t) => [t.tier, t.peak_flops, t.bw_small, t.bw_large, t.overhead_s, t.h2d_bps || t.transfer_bps]), { limit: 50 }));
    } else {
      right.append(h('p', { class: 'note', text: 'No calibration yet: run `sovprof calibrate`.' }));
    }
    const kernels = k.kernels.map((x) => x.name);
    const titles = {};
    k.kernels.forEach((x) => { titles[x.name] = x; });
    const plots = h('div', { class: 'charts' });
    const drawKernel = (name) => {
      clear(plots);
      const spec = titles[name] || { title: name, size_meaning: 'size' };
      const byTier = {};
      for (const c of cells) if (c.kernel === name && cellOk(c)) (byTier[c.tier] = byTier[c.tier] || []).push(c);
      const tiers = k.tiers.filter((t) => byTier[t]);
      const timeSeries = tiers.map((t) => ({
        label: tierLabel(t), color: k.line_colors[t] || '#888', markers: true,
        dash: t === 'numpy' ? '6 4' : null,
        points: byTier[t].sort((a, b) => a.size - b.size).map((c) => [c.size, c.median_s, c.ci_low_s, c.ci_high_s]),
        title: (p) => t + ' at ' + fmtInt(p[0]) + ': ' + fmtTime(p[1]) + (p[2] ? ' (95 % CI ' + fmtTime(p[2]) + ' – ' + fmtTime(p[3]) + ')' : ''),
      }));
      plots.append(chart({
        title: spec.title, sub: 'time per call, log-log', xLog: true, yLog: true, series: timeSeries,
        xLabel: spec.size_meaning, yLabel: 'median time per call', yFmt: fmtTime, xFmt: (v) => fmtSI(v),
      }));
      const spSeries = tiers.filter((t) => t !== 'scalar').map((t) => ({
        label: tierLabel(t), color: k.line_colors[t] || '#888', markers: true, dash: t === 'numpy' ? '6 4' : null,
        points: byTier[t].filter((c) => c.speedup).map((c) => [c.size, c.speedup]),
        title: (p) => t + ' at ' + fmtInt(p[0]) + ': ' + sig(p[1], 3) + '× scalar',
      }));
      plots.append(chart({
        title: 'Speedup over scalar', sub: 'median(scalar) ÷ median(tier)', xLog: true, yLog: true, series: spSeries,
        hlines: [{ y: 1, label: 'scalar' }], xLabel: spec.size_meaning, yLabel: 'speedup (×)',
        yFmt: (v) => sig(v, 2) + '×', empty: 'No scalar run to compare with.',
      }));
    };
    const sizesOf = {};
    for (const c of cells) (sizesOf[c.kernel] = sizesOf[c.kernel] || new Set()).add(c.size);
    const grid = {};
    for (const n of kernels) grid[n] = [...(sizesOf[n] || [])];
    sec.append(h('h3', { text: 'Time and speedup per kernel' }));
    sec.append(tabs(kernels, kernels.map((n) => (titles[n] && titles[n].title) || n), drawKernel, richest(grid)));
    sec.append(plots);
    sec.append(h('div', { class: 'columns' }, left, right));

    sec.append(h('h3', { text: 'All results' }));
    const rows = cells.map((c) => {
      const [status, cls] = cellStatus(c);
      const ci = c.median_s && c.ci_low_s !== null && c.ci_high_s !== null ? (c.ci_high_s - c.ci_low_s) / 2 / c.median_s : null;
      return [c.kernel, c.tier, c.size, c.median_s, ci, c.gflops, c.gbps, c.roofline_pct, c.bound || '', c.speedup, status, cls];
    });
    sec.append(sortableTable([
      { title: 'Kernel', kind: 'text' },
      { title: 'Tier', kind: 'text', cls: 'mono' },
      { title: 'Size', kind: 'num', fmt: fmtInt },
      { title: 'Median', kind: 'num', fmt: fmtTime },
      { title: '± CI', kind: 'num', fmt: (v) => (v === null ? '—' : '±' + (100 * v).toFixed(1) + ' %'), help: 'half the 95 % confidence interval of the median' },
      { title: 'GFLOP/s', kind: 'num', fmt: (v) => (v === null || v === undefined ? '—' : sig(v, 3)) },
      { title: 'GB/s', kind: 'num', fmt: (v) => (v === null || v === undefined ? '—' : sig(v, 3)) },
      { title: 'Roofline', kind: 'num', fmt: (v) => (v === null || v === undefined ? '—' : Math.round(v) + ' %') },
      { title: 'Bound', kind: 'text' },
      { title: 'vs scalar', kind: 'num', fmt: (v) => (v ? sig(v, 3) + '×' : '—') },
      { title: 'Status', kind: 'text', cls: (v, row) => row[11] },
    ], rows, { limit: 300 }));
    return { id: 'kernels', title: 'Kernels' };
  };

  // -- the selector --------------------------------------------------------------------

  function shortTier(t) {
    if (t === null || t === undefined) return '—';
    return t.startsWith('opencl:') ? 'cl' + t.slice(6) : t;
  }

  SECTIONS.selector = function (ctx, root) {
    const sel = ctx.data.selector;
    if (!sel) return null;
    const kd = ctx.data.kernels || {};
    const colors = kd.map_colors || {};
    const lineColors = kd.line_colors || {};
    const sec = card('selector', 'Backend selector',
      'Which tier each policy picks for each kernel and size, and how often that is the tier that was measured fastest. ' +
      (sel.out_of_sample ? 'The calibrated policy is judged out of sample: the size being judged is left out of its fit.' : ''));
    root.append(sec);
    const p = sel.params;
    sec.append(h('p', { class: 'muted', text: 'batuta: PCIe ' + sig(p.pcie_bw / 1e9) + ' GB/s, GPU ' + sig(p.gpu_flops / 1e12) + ' TFLOP/s, GPU only when compute > ' + sig(p.ratio) + ' × transfer.' }));
    const scores = sel.scores || {};
    if (Object.keys(scores).length) {
      sec.append(h('h3', { text: 'Accuracy and regret' }));
      const rows = sel.policies.filter((x) => scores[x]).map((x) => {
        const sc = scores[x];
        return [sel.titles[x] || x, sc.accuracy, sc.exact_accuracy, sc.tier_accuracy, sc.mean_regret, sc.total_regret, sc.points];
      });
      const pct = (v) => (v === null || v === undefined ? '∞' : fmtPct(v));
      sec.append(sortableTable([
        { title: 'Policy', kind: 'text' },
        { title: 'Accuracy', kind: 'num', fmt: pct, help: "picks the fastest tier's class (scalar/SIMD/GPU/…), or a tier tied with it" },
        { title: 'Exact tier', kind: 'num', fmt: pct, help: 'picks the fastest tier itself' },
        { title: 'Tier or tie', kind: 'num', fmt: pct, help: 'the fastest tier, or one whose confidence interval overlaps it' },
        { title: 'Mean regret', kind: 'num', fmt: (v) => (v === null ? '∞' : '+' + fmtPct(v)), help: 'mean of chosen ÷ fastest − 1' },
        { title: 'Total regret', kind: 'num', fmt: (v) => (v === null ? '∞' : '+' + fmtPct(v)), help: 'time lost over the grid ÷ fastest total' },
        { title: 'Points', kind: 'num', fmt: fmtInt },
      ], rows, { limit: 20 }));
    } else {
      sec.append(h('p', { class: 'note', text: 'No benchmark yet: only the static policies are shown, on the suites’ default sizes, and nothing can be scored.' }));
    }
    sec.append(h('h3', { text: 'Decision maps' }));
    const legendTiers = Object.keys(colors).filter((t) => t !== 'numpy');
    sec.append(h('div', { class: 'legend' },
      legendTiers.map((t) => h('span', { class: 'item' }, swatch(colors[t]), t)),
      h('span', { class: 'item' }, h('span', { class: 'pill bad', text: '✗' }), 'not the measured-fastest tier’s class'),
      h('span', { class: 'item' }, h('span', { class: 'pill warn', text: '≈' }), 'same class or tied, not the exact tier'),
      h('span', { class: 'item' }, h('span', { class: 'pill', text: '▨' }), 'class missing here: runs on a fallback')));
    const maps = h('div', { class: 'maps' });
    const kernels = Object.keys(sel.grid);
    for (const policy of sel.policies) {
      const byKey = {};
      for (const c of sel.maps[policy] || []) byKey[c.kernel + ' ' + c.size] = c;
      const sc = scores[policy];
      const box = h('div', { class: 'map', 'data-policy': policy },
        h('h4', {}, sel.titles[policy] || policy, sc && policy !== 'measured' ? h('span', { class: 'score', text: ' · accuracy ' + fmtPct(sc.accuracy, 0) }) : null));
      const table = h('table', { class: 'map-grid' });
      for (const kname of kernels) {
        const tr = h('tr', {}, h('th', { text: kname }));
        for (const n of sel.grid[kname]) {
          const c = byKey[kname + ' ' + n];
          if (!c) {
            tr.append(h('td', { class: 'cell empty' }));
            continue;
          }
          const color = colors[c.tier] || '#eaeef2';
          const pt = c.point;
          const wrong = pt && !pt.correct && policy !== 'measured';
          const approx = pt && pt.correct && !pt.exact && policy !== 'measured';
          let title = kname + ' · n = ' + fmtInt(n) + '\n' + policy + ' picks ' + (c.tier || 'nothing') + ' (' + c['class'] + ')\n' + c.reason;
          if (pt) {
            title += '\nmeasured fastest: ' + pt.best + ' ' + fmtTime(pt.best_s);
            if (!pt.exact && pt.chosen_s) title += '; picked ' + fmtTime(pt.chosen_s) + ' (+' + fmtPct(pt.regret, 0) + ')';
          }
          for (const why of Object.values(c.rejected || {})) title += '\n' + why;
          const td = h('td', {
            class: 'cell' + (luminance(color) < 140 ? ' dark' : '') + (wrong ? ' wrong' : '') + (approx ? ' tie' : '') + (c.fallback ? ' fallback' : ''),
            title: title, 'data-kernel': kname, 'data-size': n,
          }, shortTier(c.tier), h('div', { class: 'sizes', text: fmtSize(n) }));
          td.style.background = color;
          if (wrong) td.append(h('span', { class: 'mark', text: '✗' }));
          tr.append(td);
        }
        table.append(tr);
      }
      box.append(table);
      maps.append(box);
    }
    sec.append(maps);

    sec.append(h('h3', { text: 'Why: the 5× rule and the cost curves' }));
    const plots = h('div', { class: 'charts' });
    const draw = (kname) => {
      clear(plots);
      const kk = sel.kernels[kname];
      if (!kk) return;
      const series = [{
        label: 'batuta: GPU compute ÷ PCIe transfer', color: '#fd8d3c', width: 2.4,
        points: kk.ratio_sizes.map((n, i) => [n, kk.ratio[i]]),
      }];
      for (const [t, ys] of Object.entries(kk.calibrated_ratio || {})) {
        series.push({ label: 'calibrated ' + t + ': compute saving ÷ overhead', color: lineColors[t] || '#9450c8', dash: '6 4',
          points: kk.calibrated_sizes.map((n, i) => [n, ys[i]]) });
      }
      const bands = kk.threshold ? [{ x0: kk.threshold, x1: Infinity, label: 'batuta picks the GPU' }] : [];
      const vlines = kk.threshold ? [{ x: kk.threshold, label: 'GPU above ' + fmtSI(kk.threshold) }] : [];
      plots.append(chart({
        title: 'batuta’s ' + sig(p.ratio) + '× rule', sub: kk.batuta_op === 'elementwise' ? 'elementwise: never GPU' : kk.batuta_op,
        xLog: true, yLog: true, series: series, hlines: [{ y: p.ratio, label: sig(p.ratio) + '× dispatch ratio' }],
        bands: bands, vlines: vlines, xLabel: 'size', yLabel: 'ratio', yFmt: (v) => fmtSI(v), alwaysLegend: true,
      }));
      if (kk.batuta_op === 'elementwise') {
        plots.lastChild.append(h('p', { class: 'faint', text: 'batuta sends elementwise kernels to SIMD above 1,000,000 elements and never to the GPU; the curve is shown for reference.' }));
      }
      const cost = [];
      for (const [t, ys] of Object.entries(kk.predicted || {})) {
        cost.push({ label: t + ' predicted', color: lineColors[t] || '#888', width: 1.6, dash: '5 3', legend: false,
          points: kk.cost_sizes.map((n, i) => [n, ys[i]]) });
      }
      for (const [t, rows] of Object.entries(kk.measured || {})) {
        cost.push({ label: tierLabel(t), color: lineColors[t] || '#888', line: false, markers: true,
          points: rows, title: (q) => t + ' measured at ' + fmtInt(q[0]) + ': ' + fmtTime(q[1]) });
      }
      plots.append(chart({
        title: 'Predicted vs measured cost', sub: 'dashed: calibrated model, dots: benchmark',
        xLog: true, yLog: true, series: cost, xLabel: 'size', yLabel: 'time per call', yFmt: fmtTime,
        empty: 'No calibration or benchmark to predict from.',
      }));
    };
    sec.append(tabs(kernels, kernels, draw, richest(sel.grid, (n) => sel.kernels[n] && sel.kernels[n].threshold)));
    sec.append(plots);
    return { id: 'selector', title: 'Selector' };
  };

  SECTIONS.tables = function (ctx, root) {
    const list = ctx.data.tables;
    if (!list || !list.length) return null;
    const sec = card('tables', ctx.data.tables_title || 'Details');
    root.append(sec);
    const fmts = {
      text: null,
      int: fmtInt,
      float: (v) => (v === null || v === undefined ? '—' : sig(v, 3)),
      pct: (v) => fmtPct(v),
      signed_pct: (v) => (v === null || v === undefined ? '—' : (v > 0 ? '+' : '') + fmtPct(v)),
      time: fmtTime,
    };
    for (const t of list) {
      if (t.title) sec.append(h('h3', { text: t.title }));
      if (t.note) sec.append(h('p', { class: 'muted', text: t.note }));
      const cols = t.columns.map((c) => ({ title: c.title, kind: c.kind && c.kind !== 'text' ? 'num' : 'text', fmt: fmts[c.kind || 'text'] || null, cls: c.kind === 'text' || !c.kind ? c.cls || null : null }));
      sec.append(sortableTable(cols, t.rows, { limit: t.limit || 300, sort: t.sort || null }));
    }
    return { id: 'tables', title: ctx.data.tables_title || 'Details' };
  };

  // -- main ----------------------------------------------------------------------------

  async function main() {
    const t0 = performance.now();
    const root = document.getElementById('report');
    const loading = document.getElementById('loading');
    try {
      const data = await decodePayload();
      R.data = data;
      const ctx = makeContext(data);
      if (loading) loading.remove();
      const nav = document.getElementById('nav');
      for (const name of data.sections || []) {
        const draw = SECTIONS[name];
        if (!draw) throw new Error('unknown report section ' + name);
        const entry = draw(ctx, root);
        if (entry && entry.id !== 'verdict') nav.append(h('a', { href: '#' + entry.id, text: entry.title }));
      }
      root.append(h('footer', { class: 'foot', text: 'Written by ' + (data.generator || 'sovprof') + ' on ' + fmtDate(data.generated) + ' · self-contained: this file makes no network requests.' }));
      R.renderMs = performance.now() - t0;
      R.drawnAt = performance.now();
      R.ready = true;
      document.documentElement.setAttribute('data-ready', 'true');
    } catch (err) {
      R.error = String((err && err.message) || err);
      if (loading) loading.remove();
      root.append(h('p', { class: 'problem', text: 'This report could not be drawn: ' + R.error }));
      document.documentElement.setAttribute('data-ready', 'error');
      throw err;
    }
  }

  main();
})();
