/** Number formats and small DOM helpers of the page. */

/** A loss: three decimals ("2.134"), as `simd-rnn train` prints it. */
export const loss = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : String(v));

/** Three significant digits, exponent form outside 1e-3 .. 1e4 ("3.10e-21", "0.500"). */
export function sig(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toPrecision(3);
}

export const percent = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** An element by id, typed; a missing id is a bug of the page. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Fills a table: a header row and body rows; cells that look numeric align right. */
export function fillTable(table: HTMLTableElement, head: string[], body: (string | number)[][], classes: (string | undefined)[][] = []): void {
  table.replaceChildren();
  const numeric = (s: string) => /^[-+]?[\d.]+(e[-+]?\d+)?( %)?$/.test(s);
  const thead = table.createTHead().insertRow();
  head.forEach((h, j) => {
    const th = document.createElement('th');
    th.textContent = h;
    if (body.length && numeric(String(body[0][j]))) th.className = 'num';
    thead.append(th);
  });
  const tbody = table.createTBody();
  body.forEach((r, i) => {
    const tr = tbody.insertRow();
    r.forEach((c, j) => {
      const td = tr.insertCell();
      td.textContent = String(c);
      const cls = [numeric(String(c)) ? 'num' : '', classes[i]?.[j] ?? ''].filter(Boolean).join(' ');
      if (cls) td.className = cls;
    });
  });
}
