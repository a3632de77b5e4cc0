import { html } from './html.js';

// Small SVG charts drawn by hand: a line chart of the last points and a bar strip. No chart library.

const W = 320;
const H = 100;

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A line chart of up to two series over the same x (point index); nulls are gaps. */
export function LineChart({
  title,
  unit,
  series,
  id,
}: {
  title: string;
  unit: string;
  id: string;
  series: { name: string; values: (number | null)[]; cls?: string }[];
}) {
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const max = Math.max(1e-9, ...all) * 1.1;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const x = (i: number) => (i / (n - 1)) * W;
  const y = (v: number) => H - (v / max) * H;
  const path = (values: (number | null)[]) => {
    let d = '';
    let pen = false;
    values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const last = series[0]?.values.at(-1);
  return html`<section class="card chart" id=${id}>
    <h3>${title}</h3>
    <div class="now" data-now=${last ?? ''}>${last === null || last === undefined ? '—' : `${fmt(last)} ${unit}`}</div>
    <svg viewBox=${`0 0 ${W} ${H + 14}`} preserveAspectRatio="none" role="img" aria-label=${title}>
      <line class="axis" x1="0" y1=${H} x2=${W} y2=${H} />
      <line class="axis" x1="0" y1="0" x2=${W} y2="0" />
      <text x="2" y="10">${fmt(max)} ${unit}</text>
      ${series.map((s, i) => {
        const cls = s.cls ?? (i ? 'line2' : 'line');
        const v = s.values.at(-1);
        return html`<path class=${cls} d=${path(s.values)} />
          ${v !== null && v !== undefined && Number.isFinite(v) && html`<circle class=${`${cls} dot`} cx=${x(s.values.length - 1)} cy=${y(v)} r="2" />`}`;
      })}
      <text x="2" y=${H + 12}>${series.map((s) => s.name).join(' · ')}</text>
    </svg>
  </section>`;
}

/** A strip of bars (daily usage). */
export function Bars({ values, labels }: { values: number[]; labels: string[] }) {
  if (!values.length) return html`<span class="muted"> no requests</span>`;
  const max = Math.max(1, ...values);
  const bw = 6;
  return html`<svg
    class="bars"
    width=${values.length * (bw + 2)}
    height="24"
    viewBox=${`0 0 ${values.length * (bw + 2)} 24`}
  >
    ${values.map(
      (v, i) =>
        html`<rect x=${i * (bw + 2)} y=${24 - (v / max) * 24} width=${bw} height=${(v / max) * 24}
          ><title>${labels[i]}: ${v}</title></rect
        >`,
    )}
  </svg>`;
}
