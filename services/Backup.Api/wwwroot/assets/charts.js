// Our own SVG point-and-line charts of a source's history: the data transforms (pure, unit-tested) and the drawing.
import { h, svg } from './dom.js';
import { bytes, duration, utcText, localTime, localDate } from './format.js';

/** The charts of the source page: which values of a history run each draws, and how they read. */
export const CHARTS = {
  size: {
    title: 'Backup size', unit: bytes,
    series: [
      { name: 'stored', label: 'Stored', value: run => run.sizeBytes, metric: 'size' },
      { name: 'raw', label: 'Raw (pg_dump)', value: run => run.rawBytes, metric: null },
    ],
  },
  duration: {
    title: 'Dump duration', unit: duration, timeTicks: true,
    series: [{ name: 'duration', label: 'Dump', value: run => run.dumpSeconds, metric: 'duration' }],
  },
  recovery: {
    title: 'Recovery time (restore drills)', unit: duration, timeTicks: true,
    series: [{ name: 'recovery', label: 'Recovery', value: run => run.recoverySeconds, metric: null }],
    target: run => run.rtoTargetSeconds,
  },
};

/** When a run happened, for its place on the time axis: completed, else started, else requested. */
export function runTime(run) {
  return run.completedAt ?? run.startedAt ?? run.requestedAt ?? null;
}

/**
 * Each series' points: one per run with a value, oldest first, with the outliers the API flagged for that series'
 * metric. { name, label, points: [{ runId, at, time, value, outlier }] }.
 */
export function seriesOf(chart, runs) {
  return chart.series.map(series => ({
    name: series.name,
    label: series.label,
    points: runs
      .filter(run => typeof series.value(run) === 'number' && runTime(run) !== null)
      .map(run => {
        const outlier = series.metric === null ? null
          : (run.outliers ?? []).find(o => o.metric === series.metric) ?? null;
        return { runId: run.runId, at: runTime(run), time: Date.parse(runTime(run)), value: series.value(run), outlier };
      })
      .sort((a, b) => a.time - b.time),
  }));
}

/** Round tick values from 0 to at least max: about `count` steps of 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map(m => m * power).find(s => s >= rough);
  const ticks = [];
  for (let tick = 0; tick < max + step / 2 && ticks.length <= count + 1; tick += step) ticks.push(Number(tick.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/** Ticks for seconds: round minutes from two minutes up, round hours from two hours up. */
export function timeTicks(max, count = 4) {
  const unit = max >= 7200 ? 3600 : max >= 120 ? 60 : 1;
  return niceTicks(max / unit, count).map(tick => Number((tick * unit).toPrecision(12)));
}

/** Linear scale from a domain to a range. */
export function scale([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  return value => r0 + ((value - d0) / span) * (r1 - r0);
}

const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 28, left: 72 };

/**
 * Draws a chart, `width` user units wide (the width it will have on screen, so its text keeps its size): an <svg data-chart=name> with axes, a line and a circle per point of each series (outliers marked),
 * and beside it a visually-hidden <table data-chart-table=name> that says the same in text.
 */
export function drawChart(name, runs, { from, to, timeZone, width = 640 }) {
  const WIDTH = Math.round(width);
  const chart = CHARTS[name];
  const series = seriesOf(chart, runs);
  const targets = chart.target ? runs.map(chart.target).filter(t => typeof t === 'number') : [];
  const values = series.flatMap(s => s.points.map(p => p.value)).concat(targets);
  const ticks = (chart.timeTicks ? timeTicks : niceTicks)(Math.max(0, ...values));
  const x = scale([Date.parse(from), Date.parse(to)], [MARGIN.left, WIDTH - MARGIN.right]);
  const y = scale([0, ticks[ticks.length - 1]], [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const hasPoints = series.some(s => s.points.length > 0);

  const picture = svg('svg', {
    'data-chart': name, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img',
    'aria-label': `${chart.title}: ${hasPoints ? 'the table after it lists the values' : 'no values in this range'}`,
  });
  for (const tick of ticks) {
    picture.append(svg('line', { class: 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(tick), y2: y(tick) }));
    picture.append(svg('text', { class: 'tick', x: MARGIN.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, chart.unit(tick)));
  }
  for (const at of [from, to]) {
    picture.append(svg('text', { class: 'tick', x: x(Date.parse(at)), y: HEIGHT - 8, 'text-anchor': at === from ? 'start' : 'end' },
      localDate(at, timeZone)));
  }
  picture.append(svg('line', { class: 'axis', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(0), y2: y(0) }));
  if (targets.length > 0) {
    const target = Math.max(...targets);
    picture.append(svg('line', { class: 'target', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(target), y2: y(target) },
      svg('title', {}, `Recovery time target ${duration(target)}`)));
  }
  series.forEach((s, index) => {
    if (s.points.length > 1) {
      picture.append(svg('polyline', {
        class: `line series-${index}`, fill: 'none',
        points: s.points.map(p => `${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(' '),
      }));
    }
    for (const p of s.points) {
      const text = `${s.label} ${chart.unit(p.value)} at ${localTime(p.at)} (${utcText(p.at)})${p.outlier ? ` — ${p.outlier.text}` : ''}`;
      picture.append(svg('circle', {
        class: `point series-${index}${p.outlier ? ' outlier' : ''}`, cx: x(p.time).toFixed(1), cy: y(p.value).toFixed(1),
        r: p.outlier ? 6 : 3.5, 'data-run-id': p.runId, 'data-series': s.name, 'data-value': String(p.value), 'data-at': p.at,
        'data-outlier': p.outlier ? 'true' : null,
      }, svg('title', {}, text)));
    }
  });

  const legend = h('ul', { class: 'legend' }, series.map((s, index) => h('li', { class: `series-${index}` }, s.label)),
    targets.length > 0 ? h('li', { class: 'target' }, 'Target') : null);
  // Hidden by its wrapper: a table never shrinks below its content's width, a div does.
  const table = h('div', { class: 'visually-hidden' }, h('table', { 'data-chart-table': name },
    h('caption', {}, chart.title),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Series'), h('th', { scope: 'col' }, 'Time'),
      h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Note'))),
    h('tbody', {}, series.flatMap(s => s.points.map(p => h('tr', { 'data-run-id': p.runId, 'data-series': s.name },
      h('td', {}, s.label), h('td', {}, localTime(p.at)), h('td', {}, chart.unit(p.value)), h('td', {}, p.outlier?.text ?? '')))))));
  return h('figure', { class: 'chart-box' },
    h('figcaption', {}, chart.title), picture, legend, table,
    hasPoints ? null : h('p', { class: 'empty' }, 'No values in this range.'));
}
