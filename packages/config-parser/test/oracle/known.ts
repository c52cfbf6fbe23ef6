/**
 * Why parseConfig differs from stunnel 5.68 on some corpus cases. Keyed by a pattern on the case's `about` text
 * (stable when the corpus is regenerated). Every disagreement the oracle finds must be explained here.
 */
const machine =
  'not decidable from the text: stunnel 5.68 checks this against the machine when it loads; tunnel does it at startup (CLI/core)';
const reasons: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /compression = /,
    'replaced: OpenSSL 3 has no TLS compression, so stunnel 5.68 refuses it; tunnel implements compression as a stream transform',
  ],
  [/fips = yes/, `${machine} (this OpenSSL has no FIPS provider)`],
  [/SSLv2/, 'by design: the parser accepts the 5.28 syntax (SSLv2 is a spec value); the CLI refuses SSLv2/SSLv3 with a file:line error'],
  [
    /=\s*-1/,
    'stricter: stunnel reads numbers with strtol and takes negative values; a negative timeout or IP_TOS is a mistake, so tunnel refuses it',
  ],
  [/port 70000/, 'stricter: stunnel hands the port to getaddrinfo, which truncates it; tunnel refuses ports above 65535'],
  [/empty port/, 'stricter: stunnel 5.68 silently binds an ephemeral port for "HOST:"; tunnel refuses the empty port'],
  [
    /connect with an empty value/,
    'stricter: stunnel 5.68 ignores an empty connect target until a client arrives; tunnel refuses the empty value',
  ],
  [
    /unknown service name|inline comment/,
    'stricter: an unresolvable connect target switches stunnel to delayed resolution (it fails per connection); a port name that is not in /etc/services can never resolve, so tunnel refuses it at load time',
  ],
  [/unresolvable host/, `${machine} (DNS)`],
  [/missing user|missing group/, `${machine} (user and group database)`],
  [/unknown cipher|unknown curve|unknown ciphersuite|securityLevel 5/, `${machine} (OpenSSL decides which names and key sizes it accepts)`],
  [/unknown engine|engineId without engine/, `${machine} (OpenSSL engines)`],
  [
    /missing cert file|missing CRLfile|missing PSKsecrets/,
    `${machine} (file contents); the CLI reports it as file:line: option: reason using ServiceConfig.locations`,
  ],
  [
    /OCSPrequire|TIMEOUTocsp|retry invalid: "500"/,
    'newer stunnel: OCSPrequire, TIMEOUTocsp and retry = DELAY (milliseconds) come from stunnels newer than 5.68, which refuses them as unknown or not yes/no; tunnel reads them as the current manual describes',
  ],
  [
    /protocol (nntp|proxy|unknown)/,
    'by design: protocol names are an open set (plugins); the CLI resolves the name and checks the plugin supports the mode',
  ],
];

/** The documented reason for a disagreement on this case, or undefined if none is known. */
export function explainDisagreement(about: string): string | undefined {
  return reasons.find(([pattern]) => pattern.test(about))?.[1];
}
