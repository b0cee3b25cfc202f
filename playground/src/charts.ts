/**
 * Charts drawn by the library's own `lineChart` (SVG with axes, ticks, a log axis and a
 * legend, no dependency), redrawn at the width of their box so text stays 12 px on a phone
 * and on a laptop. Each figure keeps its latest options and redraws on resize.
 */
import { lineChart, type LineChartOptions } from 'simd-rnn';

/** A series may carry a short name for the legend of a narrow chart (the legend sits right of the plot). */
type Series = LineChartOptions['series'][number] & { short?: string };
/** And a short title for a narrow chart (the title is centred over the plot and would be cut). */
type Options = Omit<LineChartOptions, 'width' | 'height' | 'series'> & { series: Series[]; shortTitle?: string };
const NARROW = 560;
const latest = new WeakMap<HTMLElement, Options>();

const observer = new ResizeObserver((entries) => {
  for (const e of entries) {
    const o = latest.get(e.target as HTMLElement);
    if (o) draw(e.target as HTMLElement, o);
  }
});

function draw(el: HTMLElement, o: Options): void {
  const width = Math.max(300, Math.floor(el.clientWidth || 600));
  const height = Math.round(Math.min(360, Math.max(240, width * 0.45)));
  const narrow = width < NARROW, { shortTitle, ...rest } = o;
  const series = o.series.map(({ short, ...s }) => (narrow && short ? { ...s, name: short } : s));
  const svg = lineChart({ ...rest, ...(narrow && shortTitle !== undefined ? { title: shortTitle } : {}), series, width, height });
  // the same picture twice is skipped: the observer fires after every draw
  if (el.dataset.svg !== svg) { el.innerHTML = svg; el.dataset.svg = svg; }
}

/** Shows a chart in `el` (a figure), at its width now and after every resize. */
export function showChart(el: HTMLElement, o: Options): void {
  if (!latest.has(el)) observer.observe(el);
  latest.set(el, o);
  el.hidden = false;
  draw(el, o);
}

/** Empties a chart (its placeholder shows again). */
export function clearChart(el: HTMLElement): void {
  latest.delete(el);
  observer.unobserve(el);
  el.innerHTML = '';
  delete el.dataset.svg;
}
