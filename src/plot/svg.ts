/**
 * A dependency-free SVG line chart, returned as a string: loss curves, per-time-step
 * gradient norms. A standalone document (xmlns set, no ids, no scripts, no external fonts)
 * that a browser opens as a file or that can be inlined in HTML.
 *
 *   lineChart({ title, xLabel, yLabel, series: [{ name, x?, y }], logY?, width?, height? })
 *
 * x defaults to 0, 1, 2, ... A point with a non-finite x or y (or y <= 0 on a log axis) is
 * left out and breaks its line (a gap); a point alone between gaps is drawn as a dot (a
 * zero-length segment with round caps). Axes: linear ticks in steps of 1, 2 or 5 times a
 * power of ten over a range widened to whole steps; a log y axis has a tick at every decade,
 * labelled 1e-6, 1e-5, ... (every k-th when there are many), and unlabelled ticks at 2..9
 * times a decade when there are few. Colours: Tableau 10, then the same with dashes. The
 * legend is right of the plot; entries below the plot's height are left out (each path
 * also carries its name as a tooltip). Text is XML-escaped; coordinates are rounded to
 * 0.01 px.
 */
import { checkOptions } from '../checks.js';
import { RnnError, describe } from '../errors.js';

/** One line of a chart. */
export interface ChartSeries {
  /** The legend entry (and the line's tooltip). */
  name: string;
  /** x of each point; default 0, 1, 2, ... Same length as y. */
  x?: ArrayLike<number>;
  /** y of each point; a non-finite value (or one <= 0 on a log axis) leaves a gap in the line. */
  y: ArrayLike<number>;
}

/**
 * What `lineChart` draws. Lines take the Tableau 10 colours, then the same with dashes; the
 * legend is right of the plot. Text is XML-escaped.
 */
export interface LineChartOptions {
  /** Text above the plot. */
  title?: string;
  /** Label of the x axis. */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** The lines, drawn in order. */
  series: ChartSeries[];
  /** A log10 y axis; values <= 0 are left out. */
  logY?: boolean;
  /** Pixels; default 640 x 400, at least 160 x 120. */
  width?: number;
  /** Pixels; default 400, at least 120. */
  height?: number;
}

const COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];
const FONT = 12;
const CHAR_W = 0.6 * FONT; // a rough average advance of sans-serif text, for layout only

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // characters XML 1.0 forbids (C0 controls but tab, newline, return; U+FFFE, U+FFFF; lone
    // surrogates) become U+FFFD; a surrogate pair matches whole and stays
    .replace(/[\ud800-\udbff][\udc00-\udfff]|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/g,
      (c) => (c.length === 2 ? c : '\ufffd'));
}

const num = (v: number) => String(Math.round(v * 100) / 100);

// ---- ticks ---------------------------------------------------------------------------

export interface Axis { lo: number; hi: number; ticks: { value: number; label: string }[]; minor: number[] }

/** The step 1, 2 or 5 times 10^k nearest above span / target. */
function niceStep(span: number, target: number): number {
  const raw = span / target, p = 10 ** Math.floor(Math.log10(raw)), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** A label for i * step: fixed decimals as the step needs, exponent form for large or tiny values. */
function formatTick(i: number, step: number): string {
  const v = i * step;
  if (v === 0) return '0';
  const e = Math.floor(Math.log10(step) + 1e-9);
  if (Math.abs(v) >= 1e6 || e < -4) {
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - e);
    return v.toExponential(Math.min(digits, 20)).replace(/\.?0+e/, 'e').replace('e+', 'e');
  }
  return v.toFixed(Math.max(0, -e));
}

/** A linear axis over [min, max] widened to whole steps of about `target` ticks. */
export function linearAxis(min: number, max: number, target = 6): Axis {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad; max += pad;
  }
  const step = niceStep(max - min, target);
  const i0 = Math.floor(min / step + 1e-9) + 0, i1 = Math.ceil(max / step - 1e-9) + 0; // + 0: no -0
  const ticks = [];
  for (let i = i0; i <= i1; i++) ticks.push({ value: i * step, label: formatTick(i, step) });
  return { lo: i0 * step, hi: i1 * step, ticks, minor: [] };
}

/** A log10 axis over positive [min, max], widened to whole decades; values are log10. */
export function logAxis(min: number, max: number, target = 8): Axis {
  // (+ 0 turns -0 into 0)
  let k0 = Math.floor(Math.log10(min) + 1e-12) + 0, k1 = Math.ceil(Math.log10(max) - 1e-12) + 0;
  if (k1 <= k0) k1 = k0 + 1;
  const every = Math.ceil((k1 - k0) / target);
  const ticks = [], minor = [];
  for (let k = k0; k <= k1; k++) {
    if ((k - k0) % every === 0) ticks.push({ value: k, label: `1e${k}` });
    if (k < k1 && k1 - k0 <= 6) for (let m = 2; m <= 9; m++) minor.push(k + Math.log10(m));
  }
  return { lo: k0, hi: k1, ticks, minor };
}

// ---- checks --------------------------------------------------------------------------

function isArrayLike(v: unknown): v is ArrayLike<number> {
  return (Array.isArray(v) || ArrayBuffer.isView(v)) && typeof (v as ArrayLike<number>).length === 'number';
}

function checkChartOptions(o: unknown): LineChartOptions {
  if (typeof o !== 'object' || o === null) throw new RnnError('BAD_ARGUMENT', `lineChart: options must be an object, got ${describe(o)}`);
  checkOptions(o, ['title', 'xLabel', 'yLabel', 'series', 'logY', 'width', 'height'], 'lineChart: options');
  const opts = o as LineChartOptions;
  for (const key of ['title', 'xLabel', 'yLabel'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'string') {
      throw new RnnError('BAD_ARGUMENT', `lineChart: ${key} must be a string, got ${describe(opts[key])}`);
    }
  }
  for (const [key, least] of [['width', 160], ['height', 120]] as const) {
    const v = opts[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < least)) {
      throw new RnnError('BAD_ARGUMENT', `lineChart: ${key} must be a number >= ${least}, got ${describe(v)}`);
    }
  }
  if (opts.logY !== undefined && typeof opts.logY !== 'boolean') throw new RnnError('BAD_ARGUMENT', `lineChart: logY must be true or false, got ${describe(opts.logY)}`);
  if (!Array.isArray(opts.series)) throw new RnnError('BAD_ARGUMENT', `lineChart: series must be an array, got ${describe(opts.series)}`);
  opts.series.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) throw new RnnError('BAD_ARGUMENT', `lineChart: series[${i}] must be an object, got ${describe(s)}`);
    checkOptions(s, ['name', 'x', 'y'], `lineChart: series[${i}]`);
    if (typeof s.name !== 'string') throw new RnnError('BAD_ARGUMENT', `lineChart: series[${i}].name must be a string, got ${describe(s.name)}`);
    if (!isArrayLike(s.y)) throw new RnnError('BAD_ARGUMENT', `lineChart: series[${i}].y must be an array or typed array, got ${describe(s.y)}`);
    if (s.x !== undefined && !isArrayLike(s.x)) throw new RnnError('BAD_ARGUMENT', `lineChart: series[${i}].x must be an array or typed array, got ${describe(s.x)}`);
    if (s.x !== undefined && s.x.length !== s.y.length) {
      throw new RnnError('SHAPE_MISMATCH', `lineChart: series[${i}] ("${s.name}") has ${s.x.length} x values and ${s.y.length} y values`);
    }
  });
  return opts;
}

// ---- the chart -----------------------------------------------------------------------

/** The chart as a standalone SVG document. Plain JavaScript: needs no `init()`. */
export function lineChart(options: LineChartOptions): string {
  const o = checkChartOptions(options);
  const W = o.width ?? 640, H = o.height ?? 400, logY = o.logY === true;
  const fy = logY ? Math.log10 : (v: number) => v;
  const keep = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0);

  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const s of o.series) {
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i] : i, y = s.y[i];
      if (!keep(x, y)) continue;
      xMin = Math.min(xMin, x); xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y); yMax = Math.max(yMax, y);
    }
  }
  if (xMin > xMax) { xMin = 0; xMax = 1; yMin = logY ? 1 : 0; yMax = logY ? 10 : 1; }
  const xAxis = linearAxis(xMin, xMax, Math.max(2, Math.round(W / 100)));
  const yAxis = logY ? logAxis(yMin, yMax, Math.max(2, Math.round(H / 40))) : linearAxis(yMin, yMax, Math.max(2, Math.round(H / 60)));

  // Layout: title above; y tick labels and yLabel left; x tick labels and xLabel below;
  // legend right of the plot.
  const yTickChars = Math.max(...yAxis.ticks.map((t) => t.label.length));
  const legendChars = Math.max(0, ...o.series.map((s) => s.name.length));
  const legendW = o.series.length ? Math.min(W / 3, 34 + legendChars * CHAR_W) : 0;
  const left = 14 + yTickChars * CHAR_W + (o.yLabel ? FONT + 10 : 0);
  const top = o.title ? 2.5 * FONT + 8 : FONT;
  const bottom = 2 * FONT + 10 + (o.xLabel ? FONT + 8 : 0);
  const right = 16 + legendW;
  const pw = Math.max(10, W - left - right), ph = Math.max(10, H - top - bottom);
  const px = (x: number) => left + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * pw;
  const py = (v: number) => top + ph - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${num(W)}" height="${num(H)}" viewBox="0 0 ${num(W)} ${num(H)}" font-family="sans-serif" font-size="${FONT}">`);
  if (o.title) out.push(`<title>${escapeXml(o.title)}</title>`);
  out.push(`<rect width="${num(W)}" height="${num(H)}" fill="#fff"/>`);

  // grid, ticks, labels
  out.push('<g stroke="#e5e5e5" stroke-width="1">');
  for (const t of xAxis.ticks) out.push(`<line x1="${num(px(t.value))}" y1="${num(top)}" x2="${num(px(t.value))}" y2="${num(top + ph)}"/>`);
  for (const t of yAxis.ticks) out.push(`<line x1="${num(left)}" y1="${num(py(t.value))}" x2="${num(left + pw)}" y2="${num(py(t.value))}"/>`);
  for (const v of yAxis.minor) out.push(`<line x1="${num(left)}" y1="${num(py(v))}" x2="${num(left + pw)}" y2="${num(py(v))}" stroke="#f3f3f3"/>`);
  out.push('</g>');
  out.push(`<rect x="${num(left)}" y="${num(top)}" width="${num(pw)}" height="${num(ph)}" fill="none" stroke="#555"/>`);
  out.push('<g fill="#333">');
  for (const t of xAxis.ticks) out.push(`<text x="${num(px(t.value))}" y="${num(top + ph + FONT + 6)}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  for (const t of yAxis.ticks) out.push(`<text x="${num(left - 6)}" y="${num(py(t.value) + FONT / 3)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  out.push('</g>');
  if (o.title) out.push(`<text x="${num(left + pw / 2)}" y="${num(1.5 * FONT + 4)}" text-anchor="middle" font-size="${FONT + 3}" font-weight="bold">${escapeXml(o.title)}</text>`);
  if (o.xLabel) out.push(`<text x="${num(left + pw / 2)}" y="${num(H - 8)}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  if (o.yLabel) {
    const cx = FONT + 2, cy = top + ph / 2;
    out.push(`<text x="${num(cx)}" y="${num(cy)}" text-anchor="middle" transform="rotate(-90 ${num(cx)} ${num(cy)})">${escapeXml(o.yLabel)}</text>`);
  }

  // one path per series; a gap starts a new subpath
  o.series.forEach((s, k) => {
    const d: string[] = [];
    let open = false, run = 0;
    for (let i = 0; i < s.y.length; i++) {
      const x = s.x ? s.x[i] : i, y = s.y[i];
      if (!keep(x, y)) {
        if (run === 1) d.push('h0');
        open = false; run = 0;
        continue;
      }
      d.push(`${open ? 'L' : 'M'}${num(px(x))} ${num(py(fy(y)))}`);
      open = true; run++;
    }
    if (run === 1) d.push('h0');
    out.push(`<path d="${d.join('')}" ${stroke(k)} fill="none" stroke-width="1.75" stroke-linejoin="round" stroke-linecap="round"><title>${escapeXml(s.name)}</title></path>`);
  });

  // legend
  if (o.series.length) {
    const lx = left + pw + 14, maxChars = Math.max(1, Math.floor((legendW - 34) / CHAR_W + 1e-9)); // + 1e-9: 3 * 7.2 is 21.599..., so a name as long as the longest was cut
    out.push('<g>');
    o.series.forEach((s, k) => {
      const ly = top + 8 + k * (FONT + 8);
      if (ly > top + ph) return;
      const name = s.name.length > maxChars ? s.name.slice(0, Math.max(1, maxChars - 1)) + '\u2026' : s.name;
      out.push(`<line x1="${num(lx)}" y1="${num(ly)}" x2="${num(lx + 22)}" y2="${num(ly)}" ${stroke(k)} stroke-width="2.5"/>`);
      out.push(`<text x="${num(lx + 28)}" y="${num(ly + FONT / 3)}" fill="#333">${escapeXml(name)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function stroke(k: number): string {
  const color = COLORS[k % COLORS.length], dash = DASHES[Math.floor(k / COLORS.length) % DASHES.length];
  return `stroke="${color}"${dash ? ` stroke-dasharray="${dash}"` : ''}`;
}
