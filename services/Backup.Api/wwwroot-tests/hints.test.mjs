// The dashboard's failure hints say what the alert email says (run: bash services/Backup.Api/wwwroot-tests/run.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { backupFirstCheck, restoreFirstCheck } from '../wwwroot/assets/hints.js';
import { restoreState } from '../wwwroot/assets/pages/restore.js';

const emails = fs.readFileSync(new URL('../../Backup.Notifier/Mail/BackupEmails.cs', import.meta.url), 'utf8');
const codes = fs.readFileSync(new URL('../../../contracts/Backup.Contracts/BackupErrorCodes.cs', import.meta.url), 'utf8');
const restoreCodes = fs.readFileSync(new URL('../../../contracts/Backup.Contracts/RestoreErrorCodes.cs', import.meta.url), 'utf8');

test('every backup error code has the first thing to check of the notifier\'s alert email, word for word', () => {
  const names = [...codes.matchAll(/public const string (\w+) = "(\w+)";/g)].map(m => m[2]);
  assert.ok(names.length >= 9);
  for (const code of names) {
    const arm = new RegExp(`BackupErrorCodes\\.${code} => \\$?"(.*)",\\s*$`, 'm').exec(emails);
    assert.ok(arm, `BackupEmails.FirstCheck has no arm for ${code}`);
    const expected = arm[1].replaceAll('{source}', 'demo').replaceAll('\\"', '"');
    assert.equal(backupFirstCheck(code, 'demo'), expected, code);
  }
  const fallback = /_ => "(.*)",\s*$/m.exec(emails.slice(emails.indexOf('FirstCheck(string errorCode')))[1];
  assert.equal(backupFirstCheck('SomethingNew', 'demo'), fallback);
});

test('every restore error code has its own hint', () => {
  const names = [...restoreCodes.matchAll(/public const string (\w+) = "(\w+)";/g)].map(m => m[2]);
  const fallback = restoreFirstCheck('SomethingNew');
  for (const code of names) assert.notEqual(restoreFirstCheck(code), fallback, code);
});

test('a restore reads Queued, Running, Succeeded or Failed', () => {
  assert.equal(restoreState({ state: 'queued' }), 'Queued');
  assert.equal(restoreState({ state: 'running' }), 'Running');
  assert.equal(restoreState({ state: 'finished', outcome: 'completed' }), 'Succeeded');
  assert.equal(restoreState({ state: 'finished', outcome: 'failed' }), 'Failed');
});
