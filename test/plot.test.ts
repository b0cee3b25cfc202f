// The SVG line chart: well-formed XML (a small checker below: Node has no DOMParser), one
// path per series, gaps at non-finite points, 1-2-5 linear ticks, decade ticks on log axes,
// escaping, and the degenerate inputs (no series, empty, single point, constant).
import { describe, expect, test } from 'vitest';
import { RnnError } from '../src/errors.js';
import { escapeXml, lineChart, linearAxis, logAxis } from '../src/plot/svg.js';

/** Throws unless `svg` is one well-formed XML element (tags balanced, attributes quoted and unique, entities valid). */
function checkWellFormed(svg: string): void {
  const entity = /&(?!(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;
  const stack: string[] = [];
  let roots = 0;
  for (const [token] of svg.trim().matchAll(/<[^>]*>|[^<]+/g)) {
    if (!token.startsWith('<')) {
      if (stack.length === 0) throw new Error(`text outside the root: ${JSON.stringify(token.slice(0, 40))}`);
      if (entity.test(token)) throw new Error(`raw & in text: ${token}`);
      continue;
    }
    const close = /^<\/([A-Za-z][\w:.-]*)\s*>$/.exec(token);
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`unbalanced </${close[1]}>`);
      continue;
    }
    const open = /^<([A-Za-z][\w:.-]*)((?:\s+[A-Za-z][\w:.-]*="[^"<]*")*)\s*(\/?)>$/.exec(token);
    if (!open) throw new Error(`bad tag: ${token}`);
    const names = [...open[2].matchAll(/([A-Za-z][\w:.-]*)="([^"<]*)"/g)].map((m) => {
      if (entity.test(m[2])) throw new Error(`raw & in attribute: ${token}`);
      return m[1];
    });
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute: ${token}`);
    if (stack.length === 0 && ++roots > 1) throw new Error('more than one root element');
    if (!open[3]) stack.push(open[1]);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error('no root element');
}

const paths = (svg: string) => [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]);
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('checkWellFormed (the checker itself)', () => {
  test.each(['<svg><g></svg>', '<svg a="1" a="2"/>', '<svg>a & b</svg>', '<svg/><svg/>', '<svg x=1/>'])('rejects %s', (bad) => {
    expect(() => checkWellFormed(bad)).toThrow();
  });
});

describe('lineChart', () => {
  test('a standalone SVG with one path per series, a legend and distinct colours', () => {
    const loss = Array.from({ length: 50 }, (_, i) => 2 * Math.exp(-i / 10) + 0.1);
    const svg = lineChart({ title: 'Loss', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 'train', y: loss }, { name: 'validation', y: loss.map((v) => v * 1.1) }, { name: 'third', y: [1, 2] }] });
    checkWellFormed(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toMatch(/viewBox="0 0 640 400"/);
    expect(paths(svg)).toHaveLength(3);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Loss', 'epoch', 'loss', 'train', 'validation', 'third']));
    const colours = [...svg.matchAll(/<path [^>]*stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    expect(new Set(colours).size).toBe(3);
  });

  test('the longest legend name is never cut when the legend is sized for it', () => {
    for (const n of [3, 6, 7, 14, 28]) {   // lengths whose width in float rounding fell just short of n characters
      const name = 'x'.repeat(n);
      expect(texts(lineChart({ width: 1200, series: [{ name, y: [1, 2] }] }))).toContain(name);
    }
  });

  test('more series than colours: dashes tell them apart', () => {
    const series = Array.from({ length: 12 }, (_, k) => ({ name: `s${k}`, y: [k, k + 1] }));
    const svg = lineChart({ series, height: 600 });
    checkWellFormed(svg);
    const styles = [...svg.matchAll(/<path [^>]*?(stroke="[^"]*"(?: stroke-dasharray="[^"]*")?)/g)].map((m) => m[1]);
    expect(new Set(styles).size).toBe(12);
  });

  test('non-finite points break the line; x values are used when given', () => {
    const svg = lineChart({ series: [{ name: 'a', x: [10, 20, 30, 40, 50], y: [1, 2, NaN, 3, Infinity] }] });
    checkWellFormed(svg);
    const [d] = paths(svg);
    expect(d.match(/M/g)).toHaveLength(2); // [1, 2] and the lone 3
    expect(d).toMatch(/h0$/); // the lone point is a dot
    expect(texts(svg)).toEqual(expect.arrayContaining(['10', '40'])); // the axis spans the points drawn
    expect(texts(svg)).not.toContain('50');
  });

  test('log axis: ticks at decades labelled 1e-6 ..., values <= 0 left out', () => {
    const y = [0, -1, 1e-6, 3e-5, 1e-3, 0.02];
    const svg = lineChart({ series: [{ name: 'grad norm', y }], logY: true });
    checkWellFormed(svg);
    const labels = texts(svg);
    for (const k of [-6, -5, -4, -3, -2, -1]) expect(labels).toContain(`1e${k}`);
    expect(labels).not.toContain('1e-7');
    expect(labels).not.toContain('1e0');
    const [d] = paths(svg);
    expect(d.match(/[ML]/g)).toHaveLength(4);
    expect(d.startsWith('M')).toBe(true);
  });

  test('logAxis: whole decades, every k-th labelled when many, minor ticks when few', () => {
    const a = logAxis(3e-6, 0.5);
    expect([a.lo, a.hi]).toEqual([-6, 0]);
    expect(a.ticks.map((t) => t.label)).toEqual(['1e-6', '1e-5', '1e-4', '1e-3', '1e-2', '1e-1', '1e0']);
    expect(a.minor.length).toBe(6 * 8);
    const wide = logAxis(1e-20, 1e10, 8);
    expect(wide.ticks.length).toBeLessThanOrEqual(9);
    expect(wide.minor).toEqual([]);
    expect(logAxis(5, 5).ticks.map((t) => t.label)).toEqual(['1e0', '1e1']);
  });

  test('linearAxis: steps of 1, 2 or 5 times a power of ten, a range of whole steps', () => {
    for (const [lo, hi] of [[0, 97], [0.013, 0.087], [-3.2, 41], [1e-7, 9e-7], [0, 2.4e7], [999, 1001], [-1, -0.5]]) {
      const a = linearAxis(lo, hi);
      const step = a.ticks[1].value - a.ticks[0].value, p = 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5, 10]).toContainEqual(Math.round(step / p));
      expect(a.lo).toBeLessThanOrEqual(lo);
      expect(a.hi).toBeGreaterThanOrEqual(hi - 1e-12 * Math.abs(hi));
      expect(a.ticks.length).toBeGreaterThanOrEqual(3);
      expect(a.ticks.length).toBeLessThanOrEqual(12);
    }
    expect(linearAxis(0, 97).ticks.map((t) => t.label)).toEqual(['0', '20', '40', '60', '80', '100']);
    expect(linearAxis(0.013, 0.087).ticks.map((t) => t.label)).toEqual(['0', '0.02', '0.04', '0.06', '0.08', '0.10']); // one precision per axis
    expect(linearAxis(1e-7, 9e-7).ticks.map((t) => t.label)).toContain('4e-7');
    expect(linearAxis(0, 2.4e7).ticks.map((t) => t.label)).toContain('1e7');
  });

  test('text is escaped', () => {
    const evil = `a < b & "c" 'd' > </text><script>alert(1)</script>\u0001`;
    const svg = lineChart({ title: evil, xLabel: evil, yLabel: evil, series: [{ name: evil, y: [1, 2] }] });
    checkWellFormed(svg);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt;');
    expect(escapeXml('x\u0000y\ud800z\ud83d\ude00')).toBe('x\ufffdy\ufffdz\ud83d\ude00');
  });

  test('no series, empty series, all non-finite, a single point, a constant: no crash', () => {
    for (const series of [[], [{ name: 'e', y: [] }], [{ name: 'n', y: [NaN, Infinity] }], [{ name: 'one', y: [0.5] }], [{ name: 'c', y: [3, 3, 3] }], [{ name: 'z', y: new Float32Array(4) }]]) {
      for (const logY of [false, true]) {
        const svg = lineChart({ series, logY });
        checkWellFormed(svg);
        expect(paths(svg)).toHaveLength(series.length);
        expect(svg).not.toMatch(/NaN|Infinity/);
      }
    }
    expect(paths(lineChart({ series: [{ name: 'one', y: [0.5] }] }))[0]).toMatch(/^M[\d.]+ [\d.]+h0$/);
  });

  test('bad arguments', () => {
    const code = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(RnnError); return (e as RnnError).code; } return 'no error'; };
    expect(code(() => lineChart({ series: [{ name: 'a', x: [1, 2], y: [1, 2, 3] }] }))).toBe('SHAPE_MISMATCH');
    expect(code(() => lineChart({ series: [{ name: 'a', y: 5 as unknown as number[] }] }))).toBe('BAD_ARGUMENT');
    expect(code(() => lineChart({ series: {} as unknown as [] }))).toBe('BAD_ARGUMENT');
    expect(code(() => lineChart({ series: [], width: 10 }))).toBe('BAD_ARGUMENT');
    expect(code(() => lineChart({ series: [], title: 3 as unknown as string }))).toBe('BAD_ARGUMENT');
    expect(code(() => lineChart(null as unknown as { series: [] }))).toBe('BAD_ARGUMENT');
  });
});
