import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatLogRecord } from '../src/index.js';
import { bindLog } from '../src/log.js';
import type { LogRecord } from '../src/types.js';

test('a log record renders as a stunnel line with level and connection id', () => {
  const line = formatLogRecord({ level: 5, time: new Date(2026, 0, 2, 3, 4, 5), id: '7', service: 's', message: 'hello' });
  assert.is(line, '2026.01.02 03:04:05 LOG5[7]: hello');
});

test('a record about no connection carries the ui id as stunnel does', () => {
  const line = formatLogRecord({ level: 3, time: new Date(2026, 10, 25, 23, 59, 0), id: undefined, service: undefined, message: 'x' });
  assert.is(line, '2026.11.25 23:59:00 LOG3[ui]: x');
});

test('a bound log stamps service and connection id and drops records above its level', () => {
  const records: LogRecord[] = [];
  const log = bindLog({ write: (record) => records.push(record) }, 5, 'svc', '9');
  log.error('e', 'ERR_X');
  log.warning('w');
  log.notice('n');
  log.info('dropped');
  log.debug('dropped');
  log.log(6, 'dropped');
  assert.equal(
    records.map((r) => [r.level, r.message, r.service, r.id, r.code]),
    [
      [3, 'e', 'svc', '9', 'ERR_X'],
      [4, 'w', 'svc', '9', undefined],
      [5, 'n', 'svc', '9', undefined],
    ],
  );
  assert.ok(log.enabled(5));
  assert.not.ok(log.enabled(6));
  assert.not.ok(bindLog(undefined, 7, 'svc', undefined).enabled(3));
});

test.run();
