/** Rejects when `promise` has not settled after `ms` milliseconds; `what` names it in the error. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wraps a uvu test body so that it fails after `ms` milliseconds instead of hanging the run (uvu has no timeout of its own). */
export function timed<C>(fn: (context: C) => Promise<void> | void, ms = 10_000): (context: C) => Promise<void> {
  return (context: C) =>
    withTimeout(
      Promise.resolve().then(() => fn(context)),
      ms,
      'test',
    );
}
