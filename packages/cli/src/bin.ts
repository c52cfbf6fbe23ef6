#!/usr/bin/env -S node --no-concurrent-marking --no-concurrent-sweeping
// Concurrent GC marking and sweeping cost a proxy more CPU than they save: measured in bench/ (docs/performance.md,
// "GC flags"): 21–34 % less CPU per GiB moved, handshakes, latency and memory even. Node refuses them in NODE_OPTIONS.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
