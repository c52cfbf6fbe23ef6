import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatLogRecord } from '../src/index.js';

test('a log record renders as a stunnel line with level and connection id', () => {
  const line = formatLogRecord({ level: 5, time: new Date(2026, 0, 2, 3, 4, 5), id: '7', service: 's', message: 'hello' });
  assert.is(line, '2026.01.02 03:04:05 LOG5[7]: hello');
});

test('a record about no connection carries the ui id as stunnel does', () => {
  const line = formatLogRecord({ level: 3, time: new Date(2026, 10, 25, 23, 59, 0), id: undefined, service: undefined, message: 'x' });
  assert.is(line, '2026.11.25 23:59:00 LOG3[ui]: x');
});

test.run();
