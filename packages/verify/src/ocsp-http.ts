import http from 'node:http';
import { PeerCheckError, VerifyCodes } from './errors.js';

/** A responder's answer is a few KiB; anything much larger is refused rather than buffered. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends a DER OCSP request by HTTP POST (RFC 6960 Appendix A.1,
 * `application/ocsp-request`) and resolves to the response body. Only
 * `http:` URLs: OCSP responses are signed, and stunnel refuses https
 * responders too. Bounded in time (`timeoutMs` and `signal`) and size.
 *
 * @throws PeerCheckError `ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE`.
 */
export async function postOcspRequest(options: { url: string; body: Buffer; signal: AbortSignal; timeoutMs: number }): Promise<Buffer> {
  const fail = (message: string, cause?: unknown) =>
    new PeerCheckError(VerifyCodes.OCSP_UNREACHABLE, `OCSP responder ${options.url}: ${message}`, cause === undefined ? {} : { cause });
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (cause) {
    throw fail('not a URL', cause);
  }
  if (url.protocol !== 'http:') throw fail(`${url.protocol} responders are not supported, only http:`);
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  if (signal.aborted) throw fail('aborted before sending');
  return await new Promise<Buffer>((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/ocsp-request',
          'content-length': options.body.length,
          accept: 'application/ocsp-response',
          'user-agent': 'tunnel',
        },
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(fail(`HTTP status ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            request.destroy();
            reject(fail(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks)));
        response.on('error', (cause) => reject(fail(cause.message, cause)));
      },
    );
    request.on('error', (cause) => {
      const message = signal.aborted && !options.signal.aborted ? `no answer within ${options.timeoutMs} ms` : cause.message;
      reject(fail(message, cause));
    });
    request.end(options.body);
  });
}
