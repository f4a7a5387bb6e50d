// Line charts (chart.js, only the parts used) with animation off, so live updates stay cheap on the main thread.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip, type ChartDataset } from 'chart.js';
import { el } from './dom.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title, Tooltip);
// Readable from the back of a room: 16 px text or more, dark ink (chart.js defaults to 12 px grey).
const INK = '#1a1a1a';
Chart.defaults.font.size = 16;
Chart.defaults.color = INK;

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

const LABEL_FONT = { size: 16, family: 'system-ui, sans-serif' };
const labelFont = () => `${LABEL_FONT.size}px ${LABEL_FONT.family}`;

/**
 * Each line's name at the right of the plot, level with the line's last point (nudged apart where they would
 * overlap): readable at a glance from the back of a room, and at a phone's width, where a legend box would
 * crowd the plot out. A lone line needs no name: the chart's title says what it is.
 */
const endLabels = {
  id: 'endLabels',
  afterDatasetsDraw(chart: Chart) {
    const { ctx, chartArea } = chart;
    const named = chart.data.datasets.length > 1;
    if (!named) return;
    const items = chart.data.datasets.flatMap((dataset, i) => {
      const last = chart.getDatasetMeta(i).data.at(-1);
      return last ? [{ text: String(dataset.label), colour: String(dataset.borderColor), y: last.y }] : [];
    }).sort((a, b) => a.y - b.y);
    const step = LABEL_FONT.size * 1.2;
    for (let i = 1; i < items.length; i++) items[i]!.y = Math.max(items[i]!.y, items[i - 1]!.y + step);
    const overflow = (items.at(-1)?.y ?? 0) - chartArea.bottom;
    if (overflow > 0) for (const item of items) item.y -= overflow;
    for (let i = items.length - 2; i >= 0; i--) items[i]!.y = Math.min(items[i]!.y, items[i + 1]!.y - step);
    ctx.save();
    ctx.font = labelFont();
    ctx.textBaseline = 'middle';
    for (const item of items) {
      ctx.fillStyle = item.colour;
      ctx.fillText(item.text, chartArea.right + 8, item.y);
    }
    ctx.restore();
  },
};

/** Room at the plot's right for the end labels: the widest of them. */
function labelRoom(labels: string[]): number {
  if (labels.length < 2) return 8;
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return 120;
  ctx.font = labelFont();
  return 16 + Math.max(...labels.map((label) => ctx.measureText(label).width));
}

export interface Series {
  label: string;
  points: { x: number; y: number }[];
  /** A reference line (e.g. chance), drawn dashed and grey. */
  reference?: boolean;
}

export interface LineChart {
  readonly chart: Chart<'line', { x: number; y: number }[]>;
  readonly figure: HTMLElement;
  /** Replaces every series and redraws once. */
  set(series: Series[]): void;
  /** A line of text over the plot (e.g. what the chart is waiting for); empty hides it. */
  note(text: string): void;
}

/** A titled chart in a <figure> with a "Download PNG" button; `yLabel` names the axis; the legend is beside the plot. */
export function lineChart(id: string, title: string, xLabel: string, yLabel: string, options: { yMin?: number; yMax?: number; ySuffix?: string } = {}): LineChart {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': `${title} chart` });
  const download = el('button', { type: 'button', 'data-download': id }, `Download “${title}” as PNG`);
  const noteBox = el('p', { class: 'chart-note', id: `${id}-note`, hidden: '' });
  const figure = el('figure', { class: 'chart' }, el('div', { class: 'chart-box' }, canvas, noteBox), el('figcaption', {}, title, ' ', download));
  const chart = new Chart<'line', { x: number; y: number }[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    plugins: [whiteBackground, endLabels],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      plugins: {
        title: { display: true, text: title, color: INK, font: { size: 18, weight: 'bold' } },
        legend: { display: false },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: xLabel, color: INK }, ticks: { color: INK }, grid: { color: '#d0d0d0' } },
        y: {
          type: 'linear', title: { display: true, text: yLabel, color: INK }, min: options.yMin, max: options.yMax, grid: { color: '#d0d0d0' },
          ticks: { color: INK, callback: (value) => `${value}${options.ySuffix ?? ''}` },
        },
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
      let colour = 0;
      chart.data.datasets = series.map((s): ChartDataset<'line', { x: number; y: number }[]> => {
        const stroke = s.reference ? '#555555' : SERIES_COLOURS[colour++ % SERIES_COLOURS.length];
        return {
          label: s.label,
          data: s.points,
          borderColor: stroke,
          backgroundColor: stroke,
          borderDash: s.reference ? [8, 6] : undefined,
          pointRadius: s.reference || s.points.length > 40 ? 0 : 3,
          borderWidth: s.reference ? 2 : 3,
        };
      });
      chart.options.layout = { padding: { right: labelRoom(series.map((s) => s.label)) } };
      chart.update('none');
      // Lets tests and assistive summaries see how much the chart holds without reading the canvas.
      // What the chart shows, read back from its configuration, for tests and assistive summaries.
      figure.dataset.labels = JSON.stringify(chart.data.datasets.map((d) => d.label));
      figure.dataset.reference = JSON.stringify(series.filter((s) => s.reference).map((s) => s.points.map((p) => p.y)));
      figure.dataset.legend = series.length > 1 ? 'line-ends' : 'none';
      figure.dataset.fontSize = String(Chart.defaults.font.size);
      const measured = series.filter((s) => !s.reference);
      figure.dataset.series = String(measured.length);
      figure.dataset.points = String(measured.reduce((n, s) => n + s.points.length, 0));
    },
    note(text) {
      noteBox.textContent = text;
      noteBox.hidden = text === '';
    },
  };
}

export function downloadUrl(url: string, fileName: string): void {
  const link = el('a', { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
}

/** Downloads a Blob under `fileName`; its object URL is revoked once the download has had time to start. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  downloadUrl(url, fileName);
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function downloadText(text: string, fileName: string, type: string): void {
  downloadBlob(new Blob([text], { type }), fileName);
}
