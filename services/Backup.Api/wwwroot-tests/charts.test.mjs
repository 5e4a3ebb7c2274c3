// Unit tests of the charts' data transforms (run: bash services/Backup.Api/wwwroot-tests/run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHARTS, seriesOf, niceTicks, timeTicks, scale, runTime } from '../wwwroot/assets/charts.js';

const runs = [
  { runId: 'b', state: 'Completed', completedAt: '2026-12-02T02:00:05Z', sizeBytes: 1200, rawBytes: 5000, dumpSeconds: 3.25,
    recoverySeconds: null, outliers: [{ metric: 'size', kind: 'drop', value: 1200, text: 'Size 1.2 kB, far below the usual 10–14 kB' }] },
  { runId: 'a', state: 'Completed', completedAt: '2026-12-01T02:00:04Z', sizeBytes: 12000, rawBytes: 50000, dumpSeconds: 3.1,
    recoverySeconds: 41.5, rtoTargetSeconds: 1800, outliers: [] },
  { runId: 'c', state: 'Failed', requestedAt: '2026-12-03T02:00:00Z', sizeBytes: null, rawBytes: null, dumpSeconds: null,
    recoverySeconds: null, outliers: [] },
];

test('the size chart has a stored and a raw series, oldest first, with only the runs that have a size', () => {
  const [stored, raw] = seriesOf(CHARTS.size, runs);
  assert.deepEqual(stored.points.map(p => [p.runId, p.value]), [['a', 12000], ['b', 1200]]);
  assert.deepEqual(raw.points.map(p => [p.runId, p.value]), [['a', 50000], ['b', 5000]]);
  assert.equal(stored.name, 'stored');
  assert.equal(raw.name, 'raw');
});

test('a size outlier marks the stored point, not the raw one; durations keep their unrounded values', () => {
  const [stored, raw] = seriesOf(CHARTS.size, runs);
  assert.equal(stored.points[1].outlier.kind, 'drop');
  assert.equal(raw.points[1].outlier, null);
  const [dump] = seriesOf(CHARTS.duration, runs);
  assert.deepEqual(dump.points.map(p => p.value), [3.1, 3.25]);
  assert.equal(dump.points[0].outlier, null);
});

test('the recovery chart draws only the measured recoveries', () => {
  const [recovery] = seriesOf(CHARTS.recovery, runs);
  assert.deepEqual(recovery.points.map(p => [p.runId, p.value, p.at]), [['a', 41.5, '2026-12-01T02:00:04Z']]);
});

test('a run sits at its completion, else its start, else its request', () => {
  assert.equal(runTime(runs[0]), '2026-12-02T02:00:05Z');
  assert.equal(runTime(runs[2]), '2026-12-03T02:00:00Z');
  assert.equal(runTime({}), null);
});

test('ticks are round steps from zero to at least the largest value', () => {
  assert.deepEqual(niceTicks(12000), [0, 5000, 10000, 15000]);
  assert.deepEqual(niceTicks(3.25), [0, 1, 2, 3, 4]);
  assert.deepEqual(niceTicks(100), [0, 25, 50, 75, 100]);
  assert.deepEqual(niceTicks(0), [0, 1]);
  for (const max of [1, 7, 999, 1234567, 0.3]) {
    const ticks = niceTicks(max);
    assert.ok(ticks[ticks.length - 1] >= max, `${max}: ${ticks}`);
    assert.ok(ticks.length <= 7, `${max}: ${ticks}`);
  }
});

test('a scale maps the domain onto the range', () => {
  const y = scale([0, 100], [200, 0]);
  assert.equal(y(0), 200);
  assert.equal(y(50), 100);
  assert.equal(y(100), 0);
});

test('time ticks are round minutes or hours once the values are long enough', () => {
  assert.deepEqual(timeTicks(40.5), [0, 20, 40, 60]);
  assert.deepEqual(timeTicks(1800), [0, 600, 1200, 1800]);
  assert.deepEqual(timeTicks(3 * 3600), [0, 3600, 7200, 10800]);
});
