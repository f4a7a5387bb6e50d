// Line charts (chart.js, only the parts used) with animation off, so live updates stay cheap on the main thread.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip, type ChartDataset } from 'chart.js';
import { el } from './dom.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip);

/** Distinguishable on white and in greyscale order (Okabe–Ito, darkened where contrast needs it). */
export const SERIES_COLOURS = ['#0060a8', '#c45a00', '#007a5a', '#b0306f', '#5a4fcf', '#8a6d00', '#2b2b2b', '#d62728', '#17808f', '#7f5539'];

// PNG exports get a white background instead of a transparent one.
const whiteBackground = {
  id: 'whiteBackground',
  beforeDraw(chart: Chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

export interface LineChart {
  readonly chart: Chart<'line', { x: number; y: number }[]>;
  readonly figure: HTMLElement;
  /** Replaces every series and redraws once. */
  set(series: Series[]): void;
}

/** A titled chart in a <figure> with a "Download PNG" button; `yLabel` names the axis. */
export function lineChart(id: string, title: string, xLabel: string, yLabel: string, options: { yMin?: number; yMax?: number; logY?: boolean } = {}): LineChart {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': `${title} chart` });
  const download = el('button', { type: 'button', 'data-download': id }, `Download “${title}” as PNG`);
  const figure = el('figure', { class: 'chart' }, el('div', { class: 'chart-box' }, canvas), el('figcaption', {}, title, ' ', download));
  const chart = new Chart<'line', { x: number; y: number }[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    plugins: [whiteBackground],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      plugins: { title: { display: true, text: title }, legend: { position: 'bottom' } },
      scales: {
        x: { type: 'linear', title: { display: true, text: xLabel } },
        y: { type: 'linear', title: { display: true, text: yLabel }, min: options.yMin, max: options.yMax },
      },
    },
  });
  download.addEventListener('click', () => downloadUrl(chart.toBase64Image('image/png', 1), `${id}.png`));
  // Curves only grow, so the same labels and point counts mean the same picture: skip the redraw.
  let drawn = '';
  return {
    chart,
    figure,
    set(series) {
      const signature = JSON.stringify([chart.options.plugins?.title?.text, series.map((s) => [s.label, s.points.length])]);
      if (signature === drawn) return;
      drawn = signature;
      chart.data.datasets = series.map((s, i): ChartDataset<'line', { x: number; y: number }[]> => ({
        label: s.label,
        data: s.points,
        borderColor: SERIES_COLOURS[i % SERIES_COLOURS.length],
        backgroundColor: SERIES_COLOURS[i % SERIES_COLOURS.length],
        pointRadius: s.points.length > 40 ? 0 : 3,
        borderWidth: 2,
      }));
      chart.update('none');
      // Lets tests and assistive summaries see how much the chart holds without reading the canvas.
      figure.dataset.series = String(series.length);
      figure.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
    },
  };
}

export function downloadUrl(url: string, fileName: string): void {
  const link = el('a', { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
}

export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  downloadUrl(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
