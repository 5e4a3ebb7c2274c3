// Unit tests of the dashboard's formatting (run: bash services/Backup.Api/wwwroot-tests/run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, duration, age, change, utcText, proposedTargetDatabase, startOfLocalDate } from '../wwwroot/assets/format.js';

test('sizes are in 1000-based units', () => {
  assert.equal(bytes(0), '0 B');
  assert.equal(bytes(999), '999 B');
  assert.equal(bytes(1000), '1.0 kB');
  assert.equal(bytes(1234), '1.2 kB');
  assert.equal(bytes(123456), '123 kB');
  assert.equal(bytes(999960), '1.0 MB');
  assert.equal(bytes(34_500_000), '34.5 MB');
  assert.equal(bytes(120_000_000_000), '120 GB');
  assert.equal(bytes(null), '–');
});

test('durations read as seconds, minutes, hours and days', () => {
  assert.equal(duration(0), '0 s');
  assert.equal(duration(3.21), '3.2 s');
  assert.equal(duration(42), '42 s');
  assert.equal(duration(185), '3 min 5 s');
  assert.equal(duration(1800), '30 min');
  assert.equal(duration(7620), '2 h 7 min');
  assert.equal(duration(273600), '3 d 4 h');
  assert.equal(age(30), 'just now');
  assert.equal(age(11100), '3 h ago');
  assert.equal(age(185), '3 min ago');
});

test('a change is an arrow and a percentage', () => {
  assert.equal(change(0.12), '▲ 12%');
  assert.equal(change(-0.035), '▼ 3.5%');
  assert.equal(change(0), '= 0%');
  assert.equal(change(null), null);
});

test('the UTC title of a time', () => {
  assert.equal(utcText('2026-12-06T18:04:09+01:00'), '2026-12-06 17:04:09 UTC');
});

test('the proposed restore target is the source, restore and the UTC minute, a valid database name', () => {
  const now = new Date('2026-12-06T17:04:59Z');
  assert.equal(proposedTargetDatabase('Demo', now), 'demo_restore_202612061704');
  assert.equal(proposedTargetDatabase('shop-eu', now), 'shop_eu_restore_202612061704');
  assert.equal(proposedTargetDatabase('9lives', now), 'db_9lives_restore_202612061704');
  const long = proposedTargetDatabase('a'.repeat(63), now);
  assert.equal(long.length, 63);
  assert.match(long, /^[a-z_][a-z0-9_]{0,62}$/);
});

test('a date filter is the start of that day in the viewer\'s zone; the end filter the next day\'s start', () => {
  assert.equal(startOfLocalDate('2026-12-06'), new Date(2026, 11, 6).toISOString());
  assert.equal(startOfLocalDate('2026-12-31', 1), new Date(2027, 0, 1).toISOString());
  assert.equal(startOfLocalDate(''), null);
  assert.equal(startOfLocalDate('6/12/2026'), null);
});
