import type { X509Certificate } from 'node:crypto';
import { ocspUrls, toX509 } from './certificate.js';
import type { OcspFlags } from './ocsp-flags.js';
import { type OcspAnswer, queryOcsp } from './ocsp-query.js';

/** How long an answer without nextUpdate is reused before asking again. */
const NO_NEXT_UPDATE_REUSE_MS = 60 * 60 * 1000;
/** Never ask the responder again sooner than this, whatever its window. */
const MIN_REFRESH_MS = 60 * 1000;

/** Settings of {@link createStapler}. */
export interface StaplerOptions {
  /** Responder to use instead of the certificate's AIA (stunnel `OCSP`). */
  readonly url?: string | undefined;
  readonly trusted: readonly X509Certificate[];
  readonly flags?: OcspFlags | undefined;
  readonly timeoutMs?: number | undefined;
  /** Clock, for tests. */
  readonly now?: () => number;
}

interface Entry {
  answer: OcspAnswer;
  refreshAt: number;
  expiresAt: number;
}

/**
 * Server-side OCSP stapling (RFC 6066 §8): fetches the response for our own
 * certificate from the configured responder or its AIA responder, verifies it
 * like any other answer, caches it, and refreshes it halfway through its
 * validity window (answers are reused while the refresh runs). A failed
 * fetch keeps serving the cached answer until its nextUpdate, then staples
 * nothing: a missing staple is safe, a stale one is not.
 */
export function createStapler(
  options: StaplerOptions,
): (certificate: Buffer, issuer: Buffer, signal: AbortSignal) => Promise<Buffer | undefined> {
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Entry | undefined>>();
  const clock = options.now ?? Date.now;

  const fetchEntry = (key: string, certificate: X509Certificate, issuer: X509Certificate, url: string, signal: AbortSignal) => {
    let pending = inflight.get(key);
    if (pending === undefined) {
      pending = queryOcsp({
        certificate,
        issuer,
        url,
        trusted: options.trusted,
        flags: options.flags,
        signal,
        timeoutMs: options.timeoutMs,
      })
        .then((answer) => {
          const now = clock();
          const next = answer.nextUpdate?.getTime();
          const expiresAt = next ?? now + NO_NEXT_UPDATE_REUSE_MS;
          const refreshAt = Math.max(now + MIN_REFRESH_MS, next === undefined ? expiresAt : now + (next - now) / 2);
          const entry = { answer, refreshAt, expiresAt };
          cache.set(key, entry);
          return entry;
        })
        .catch(() => undefined)
        .finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  };

  return async (certificateDer, issuerDer, signal) => {
    const certificate = toX509(certificateDer);
    const issuer = toX509(issuerDer);
    const url = options.url ?? ocspUrls(certificate)[0];
    if (url === undefined) return undefined;
    const key = `${certificate.fingerprint256}|${url}`;
    const cached = cache.get(key);
    const now = clock();
    if (cached !== undefined && now < cached.expiresAt) {
      if (now >= cached.refreshAt) void fetchEntry(key, certificate, issuer, url, new AbortController().signal);
      return cached.answer.der;
    }
    const fresh = await fetchEntry(key, certificate, issuer, url, signal);
    return fresh?.answer.der;
  };
}
