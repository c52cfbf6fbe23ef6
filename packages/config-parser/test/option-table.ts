/**
 * Valid and invalid values for every option of the registry (the table the option tests run). `good` pairs a written
 * value with the typed value expected in the Config; `bad` values must be refused with `code`.
 */
export interface OptionCase {
  name: string;
  /** Where the line goes: the global section, or a server service. */
  where: 'global' | 'service';
  /** Extra lines the service needs for the option to make sense (e.g. a CA file for verify). */
  extra?: string;
  good: Array<[string, unknown]>;
  bad: Array<[string, string]>;
}

const invalid = 'ERR_TUNNEL_CONFIG_INVALID_VALUE';
const missing = 'ERR_TUNNEL_CONFIG_MISSING_VALUE';
const win32 = 'ERR_TUNNEL_CONFIG_WIN32_ONLY';
const yesNoGood: Array<[string, unknown]> = [
  ['yes', true],
  ['no', false],
  ['YES', true],
  ['No', false],
];
const yesNoBad: Array<[string, string]> = [
  ['true', invalid],
  ['1', invalid],
  ['', missing],
];
const secondsGood: Array<[string, unknown]> = [
  ['0', 0],
  ['10', 10],
  ['+5', 5],
  ['43200', 43200],
];
const secondsBad: Array<[string, string]> = [
  ['abc', invalid],
  ['10s', invalid],
  ['-1', invalid],
  ['0x10', invalid],
  ['1.5', invalid],
  ['', missing],
];
const path = (value: string): OptionCase['good'] => [[value, value]];
const hex32 = '00112233445566778899aabbccddeeff';
const versions: Array<[string, unknown]> = [
  ['all', 'all'],
  ['TLSv1', 'TLSv1'],
  ['tlsv1.2', 'TLSv1.2'],
  ['TLSv1.3', 'TLSv1.3'],
  ['SSLv3', 'SSLv3'],
  ['SSLv2', 'SSLv2'],
];
const versionsBad: Array<[string, string]> = [
  ['TLSv1.4', invalid],
  ['tls1.2', invalid],
  ['', missing],
];

export const optionTable: OptionCase[] = [
  { name: 'chroot', where: 'global', good: path('/var/lib/stunnel'), bad: [['', missing]] },
  {
    name: 'compression',
    where: 'global',
    good: [
      ['deflate', 'deflate'],
      ['ZLIB', 'zlib'],
    ],
    bad: [['rle', invalid]],
  },
  {
    name: 'debug',
    where: 'global',
    good: [
      ['7', { facility: 'daemon', level: 7 }],
      ['debug', { facility: 'daemon', level: 7 }],
      ['emerg', { facility: 'daemon', level: 0 }],
      ['WARNING', { facility: 'daemon', level: 4 }],
      ['local0.info', { facility: 'local0', level: 6 }],
      ['AUTHPRIV.Err', { facility: 'authpriv', level: 3 }],
    ],
    bad: [
      ['8', invalid],
      ['error', invalid],
      ['bogus.info', invalid],
      ['daemon.', invalid],
      ['', missing],
    ],
  },
  { name: 'EGD', where: 'global', good: path('/var/run/egd-pool'), bad: [['', missing]] },
  {
    name: 'engine',
    where: 'global',
    good: [
      ['auto', 'auto'],
      ['pkcs11', 'pkcs11'],
    ],
    bad: [['', missing]],
  },
  {
    name: 'engineCtrl',
    where: 'global',
    extra: 'engine = dynamic',
    good: [
      ['LOAD', ['LOAD']],
      ['SO_PATH:/usr/lib/engines/pkcs11.so', ['SO_PATH:/usr/lib/engines/pkcs11.so']],
    ],
    bad: [['', missing]],
  },
  {
    name: 'engineDefault',
    where: 'global',
    extra: 'engine = dynamic',
    good: [
      ['ALL', ['ALL']],
      ['rsa, DSA', ['RSA', 'DSA']],
    ],
    bad: [
      ['RSA;DSA', invalid],
      ['', missing],
    ],
  },
  { name: 'fips', where: 'global', good: yesNoGood, bad: yesNoBad },
  {
    name: 'foreground',
    where: 'global',
    good: [
      ['yes', true],
      ['no', false],
      ['quiet', 'quiet'],
      ['QUIET', 'quiet'],
    ],
    bad: [['sometimes', invalid]],
  },
  { name: 'iconActive', where: 'global', good: [], bad: [['a.ico', win32]] },
  { name: 'iconError', where: 'global', good: [], bad: [['e.ico', win32]] },
  { name: 'iconIdle', where: 'global', good: [], bad: [['i.ico', win32]] },
  {
    name: 'log',
    where: 'global',
    good: [
      ['append', 'append'],
      ['Overwrite', 'overwrite'],
    ],
    bad: [['truncate', invalid]],
  },
  { name: 'output', where: 'global', good: path('/var/log/stunnel.log'), bad: [['', missing]] },
  {
    name: 'pid',
    where: 'global',
    good: [
      ['/run/stunnel.pid', '/run/stunnel.pid'],
      ['', ''],
    ],
    bad: [],
  },
  { name: 'RNDbytes', where: 'global', good: [['64', 64]], bad: [['lots', invalid]] },
  { name: 'RNDfile', where: 'global', good: path('/dev/urandom'), bad: [['', missing]] },
  { name: 'RNDoverwrite', where: 'global', good: yesNoGood, bad: yesNoBad },
  { name: 'service', where: 'global', good: [['imapd', 'imapd']], bad: [['', missing]] },
  {
    name: 'socket',
    where: 'global',
    good: [
      ['a:SO_REUSEADDR=yes', [{ side: 'a', option: 'SO_REUSEADDR', value: 'yes' }]],
      ['a:SO_REUSEADDR=NO', [{ side: 'a', option: 'SO_REUSEADDR', value: 'no' }]],
      ['l:SO_LINGER=1:60', [{ side: 'l', option: 'SO_LINGER', value: ['1', '60'] }]],
      ['l:SO_LINGER=1', [{ side: 'l', option: 'SO_LINGER', value: '1' }]],
      ['r:SO_RCVTIMEO=5:0', [{ side: 'r', option: 'SO_RCVTIMEO', value: ['5', '0'] }]],
      ['r:TCP_NODELAY=yes', [{ side: 'r', option: 'TCP_NODELAY', value: 'yes' }]],
      ['a:SO_BINDTODEVICE=lo', [{ side: 'a', option: 'SO_BINDTODEVICE', value: 'lo' }]],
      ['a:SO_BINDTODEVICE=', [{ side: 'a', option: 'SO_BINDTODEVICE', value: '' }]],
      ['l:TCP_KEEPIDLE=60', [{ side: 'l', option: 'TCP_KEEPIDLE', value: '60' }]],
      ['r:IP_TOS=16', [{ side: 'r', option: 'IP_TOS', value: '16' }]],
    ],
    bad: [
      ['x:TCP_NODELAY=yes', invalid],
      ['A:SO_REUSEADDR=yes', invalid],
      ['a:SO_BOGUS=1', invalid],
      ['a:so_reuseaddr=yes', invalid],
      ['a:SO_RCVBUF=abc', invalid],
      ['a:SO_RCVBUF=1:2', invalid],
      ['a:SO_LINGER=1:2:3', invalid],
      ['a:SO_KEEPALIVE=maybe', invalid],
      ['a:SO_REUSEADDR', invalid],
      ['a:SO_BINDTODEVICE=a very long interface', invalid],
    ],
  },
  { name: 'syslog', where: 'global', good: yesNoGood, bad: yesNoBad },
  { name: 'taskbar', where: 'global', good: [], bad: [['yes', win32]] },
  { name: 'setuid', where: 'global', good: [['stunnel4', 'stunnel4']], bad: [['', missing]] },
  { name: 'setgid', where: 'global', good: [['stunnel4', 'stunnel4']], bad: [['', missing]] },
  {
    name: 'accept',
    where: 'service',
    good: [
      ['443', [{ kind: 'tcp', host: undefined, port: 443 }]],
      ['127.0.0.1:443', [{ kind: 'tcp', host: '127.0.0.1', port: 443 }]],
      [':::443', [{ kind: 'tcp', host: '::', port: 443 }]],
      ['::1:443', [{ kind: 'tcp', host: '::1', port: 443 }]],
      ['example.com:https', [{ kind: 'tcp', host: 'example.com', port: 443 }]],
      ['imaps', [{ kind: 'tcp', host: undefined, port: 993 }]],
      ['/run/stunnel.sock', [{ kind: 'unix', path: '/run/stunnel.sock' }]],
    ],
    bad: [
      ['[::1]:443', invalid],
      ['1.2.3.4:70000', invalid],
      ['1.2.3.4:nosuchservice', invalid],
      [':443', invalid],
      ['1.2.3.4:', invalid],
      ['', missing],
    ],
  },
  { name: 'CApath', where: 'service', good: path('/etc/ssl/certs'), bad: [['', missing]] },
  { name: 'CAfile', where: 'service', good: path('/etc/ssl/ca.pem'), bad: [['', missing]] },
  { name: 'cert', where: 'service', good: path('/etc/stunnel/server.pem'), bad: [['', missing]] },
  {
    name: 'checkEmail',
    where: 'service',
    extra: 'verifyChain = yes\nCAfile = ca.pem',
    good: [['a@example.com', ['a@example.com']]],
    bad: [['', missing]],
  },
  {
    name: 'checkHost',
    where: 'service',
    extra: 'verifyChain = yes\nCAfile = ca.pem',
    good: [['example.com', ['example.com']]],
    bad: [['', missing]],
  },
  {
    name: 'checkIP',
    where: 'service',
    extra: 'verifyChain = yes\nCAfile = ca.pem',
    good: [['10.0.0.1', ['10.0.0.1']]],
    bad: [['', missing]],
  },
  { name: 'ciphers', where: 'service', good: [['HIGH:!aNULL', 'HIGH:!aNULL']], bad: [['', missing]] },
  { name: 'client', where: 'service', good: yesNoGood, bad: yesNoBad },
  { name: 'config', where: 'service', good: [['MinProtocol:TLSv1.2', ['MinProtocol:TLSv1.2']]], bad: [['', missing]] },
  {
    name: 'connect',
    where: 'service',
    good: [
      [
        '9',
        [
          { kind: 'tcp', host: undefined, port: 80 },
          { kind: 'tcp', host: undefined, port: 9 },
        ],
      ],
      [
        'host.example:imaps',
        [
          { kind: 'tcp', host: undefined, port: 80 },
          { kind: 'tcp', host: 'host.example', port: 993 },
        ],
      ],
    ],
    bad: [
      ['host:port:x', invalid],
      ['', missing],
    ],
  },
  { name: 'CRLpath', where: 'service', good: path('/etc/ssl/crl'), bad: [['', missing]] },
  { name: 'CRLfile', where: 'service', good: path('/etc/ssl/crl.pem'), bad: [['', missing]] },
  { name: 'curves', where: 'service', good: [['P-256:X25519', 'P-256:X25519']], bad: [['', missing]] },
  {
    name: 'logId',
    where: 'service',
    good: [
      ['sequential', 'sequential'],
      ['unique', 'unique'],
      ['thread', 'thread'],
      ['PROCESS', 'process'],
    ],
    bad: [['random', invalid]],
  },
  { name: 'delay', where: 'service', good: yesNoGood, bad: yesNoBad },
  { name: 'engineId', where: 'service', good: [['pkcs11', 'pkcs11']], bad: [['', missing]] },
  {
    name: 'engineNum',
    where: 'service',
    good: [],
    bad: [
      ['abc', invalid],
      ['0', invalid],
      ['1', invalid],
    ],
  },
  { name: 'exec', where: 'service', good: path('/usr/sbin/imapd'), bad: [['', missing]] },
  {
    name: 'execArgs',
    where: 'service',
    good: [
      ['imapd', ['imapd']],
      ['pppd   local\tdebug ', ['pppd', 'local', 'debug']],
    ],
    bad: [['', missing]],
  },
  {
    name: 'failover',
    where: 'service',
    good: [
      ['rr', 'rr'],
      ['PRIO', 'prio'],
    ],
    bad: [['random', invalid]],
  },
  { name: 'ident', where: 'service', good: [['nobody', 'nobody']], bad: [['', missing]] },
  { name: 'key', where: 'service', good: path('/etc/stunnel/server.key'), bad: [['', missing]] },
  { name: 'libwrap', where: 'service', good: yesNoGood, bad: yesNoBad },
  { name: 'local', where: 'service', good: [['192.0.2.1', '192.0.2.1']], bad: [['', missing]] },
  { name: 'OCSP', where: 'service', good: [['http://ocsp.example/', 'http://ocsp.example/']], bad: [['', missing]] },
  { name: 'OCSPaia', where: 'service', good: yesNoGood, bad: yesNoBad },
  {
    name: 'OCSPflag',
    where: 'service',
    good: [
      ['NOCERTS', ['NOCERTS']],
      ['respid_key', ['RESPID_KEY']],
    ],
    bad: [['BOGUS', invalid]],
  },
  { name: 'OCSPnonce', where: 'service', good: yesNoGood, bad: yesNoBad },
  { name: 'OCSPrequire', where: 'service', good: yesNoGood, bad: yesNoBad },
  {
    name: 'TIMEOUTocsp',
    where: 'service',
    good: [
      ['1', 1],
      ['30', 30],
    ],
    bad: [
      ['0', invalid],
      ['soon', invalid],
      ['', missing],
    ],
  },
  {
    name: 'options',
    where: 'service',
    good: [
      ['NO_TLSv1', ['NO_TLSv1']],
      ['-no_sslv3', ['-NO_SSLv3']],
    ],
    bad: [
      ['BOGUS', invalid],
      ['SSL_OP_NO_TLSv1', invalid],
    ],
  },
  {
    name: 'protocol',
    where: 'service',
    good: [
      ['smtp', 'smtp'],
      ['IMAP', 'imap'],
      ['my-proto_2', 'my-proto_2'],
      ['@acme/tunnel-proto-x', '@acme/tunnel-proto-x'],
      ['./plugins/x.js', './plugins/x.js'],
    ],
    bad: [
      ['bad name', invalid],
      ['a:b', invalid],
    ],
  },
  { name: 'protocolAuthentication', where: 'service', good: [['ntlm', 'ntlm']], bad: [['', missing]] },
  { name: 'protocolDomain', where: 'service', good: [['EXAMPLE', 'EXAMPLE']], bad: [['', missing]] },
  { name: 'protocolHost', where: 'service', good: [['example.com:443', 'example.com:443']], bad: [['', missing]] },
  { name: 'protocolPassword', where: 'service', good: [['a=b c', 'a=b c']], bad: [['', missing]] },
  { name: 'protocolUsername', where: 'service', good: [['user', 'user']], bad: [['', missing]] },
  { name: 'PSKidentity', where: 'service', good: [['me', 'me']], bad: [['', missing]] },
  { name: 'PSKsecrets', where: 'service', good: path('/etc/stunnel/psk.txt'), bad: [['', missing]] },
  { name: 'pty', where: 'service', good: yesNoGood, bad: yesNoBad },
  {
    name: 'redirect',
    where: 'service',
    extra: 'verifyChain = yes\nCAfile = ca.pem',
    good: [['8443', [{ kind: 'tcp', host: undefined, port: 8443 }]]],
    bad: [['x:y', invalid]],
  },
  { name: 'renegotiation', where: 'service', good: yesNoGood, bad: yesNoBad },
  { name: 'reset', where: 'service', good: yesNoGood, bad: yesNoBad },
  {
    name: 'retry',
    where: 'service',
    good: [...yesNoGood, ['500', 500], ['0', 0]],
    bad: [
      ['3600001', invalid],
      ['-5', invalid],
      ['soon', invalid],
    ],
  },
  {
    name: 'setEnv',
    where: 'service',
    good: [
      ['FOO=bar', [{ name: 'FOO', value: 'bar' }]],
      ['A_1=x=y z', [{ name: 'A_1', value: 'x=y z' }]],
      ['EMPTY=', [{ name: 'EMPTY', value: '' }]],
    ],
    bad: [
      ['FOO', invalid],
      ['1X=a', invalid],
      ['BAD-NAME=a', invalid],
      ['', missing],
    ],
  },
  { name: 'setuid', where: 'service', good: [['nobody', 'nobody']], bad: [['', missing]] },
  { name: 'setgid', where: 'service', good: [['nogroup', 'nogroup']], bad: [['', missing]] },
  { name: 'service', where: 'service', good: [['imaps', 'imaps']], bad: [['', missing]] },
  { name: 'sessionCacheSize', where: 'service', good: secondsGood, bad: secondsBad },
  { name: 'sessionCacheTimeout', where: 'service', good: secondsGood, bad: secondsBad },
  {
    name: 'sessiond',
    where: 'service',
    good: [
      ['10.0.0.1:54321', { kind: 'tcp', host: '10.0.0.1', port: 54321 }],
      ['/run/sessiond', { kind: 'unix', path: '/run/sessiond' }],
    ],
    bad: [['10.0.0.1:x', invalid]],
  },
  { name: 'sslVersion', where: 'service', good: versions, bad: versionsBad },
  { name: 'stack', where: 'service', good: [['131072', 131072]], bad: [['big', invalid]] },
  { name: 'TIMEOUTbusy', where: 'service', good: secondsGood, bad: secondsBad },
  { name: 'TIMEOUTclose', where: 'service', good: secondsGood, bad: secondsBad },
  { name: 'TIMEOUTconnect', where: 'service', good: secondsGood, bad: secondsBad },
  { name: 'TIMEOUTidle', where: 'service', good: secondsGood, bad: secondsBad },
  {
    name: 'transparent',
    where: 'service',
    good: [
      ['none', 'none'],
      ['source', 'source'],
      ['Destination', 'destination'],
      ['both', 'both'],
      ['yes', 'source'],
      ['no', 'none'],
    ],
    bad: [['dest', invalid]],
  },
  {
    name: 'verify',
    where: 'service',
    extra: 'CAfile = ca.pem',
    good: [
      ['0', 0],
      ['1', 1],
      ['2', 2],
      ['3', 3],
      ['4', 4],
    ],
    bad: [
      ['5', invalid],
      ['-1', invalid],
      ['none', invalid],
    ],
  },
  { name: 'CAengine', where: 'service', good: [['ca-id', ['ca-id']]], bad: [['', missing]] },
  { name: 'CAstore', where: 'service', good: [['org.openssl.winstore:', ['org.openssl.winstore:']]], bad: [['', missing]] },
  { name: 'provider', where: 'global', good: [['legacy', ['legacy']]], bad: [['', missing]] },
  {
    name: 'providerParameter',
    where: 'global',
    good: [['pkcs11:pkcs11-module-path=/usr/lib/p11.so', ['pkcs11:pkcs11-module-path=/usr/lib/p11.so']]],
    bad: [['', missing]],
  },
  { name: 'ciphersuites', where: 'service', good: [['TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256']], bad: [['', missing]] },
  { name: 'protocolHeader', where: 'service', good: [['X-Forwarded-For: 1.2.3.4', ['X-Forwarded-For: 1.2.3.4']]], bad: [['', missing]] },
  { name: 'requireCert', where: 'service', good: yesNoGood, bad: yesNoBad },
  {
    name: 'securityLevel',
    where: 'service',
    good: [
      ['0', 0],
      ['5', 5],
    ],
    bad: [
      ['6', invalid],
      ['high', invalid],
    ],
  },
  { name: 'sessionResume', where: 'service', good: yesNoGood, bad: yesNoBad },
  { name: 'sslVersionMax', where: 'service', good: versions, bad: versionsBad },
  { name: 'sslVersionMin', where: 'service', good: versions, bad: versionsBad },
  {
    name: 'ticketKeySecret',
    where: 'service',
    extra: `ticketMacSecret = ${hex32}`,
    good: [
      [hex32.toUpperCase(), hex32],
      ['00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff', hex32],
      [hex32 + hex32, hex32 + hex32],
    ],
    bad: [
      ['0011', invalid],
      ['0g112233445566778899aabbccddeeff', invalid],
      ['0:0112233445566778899aabbccddeeff', invalid],
    ],
  },
  {
    name: 'ticketMacSecret',
    where: 'service',
    extra: `ticketKeySecret = ${hex32}`,
    good: [[hex32, hex32]],
    bad: [['xyz', invalid]],
  },
  { name: 'verifyChain', where: 'service', extra: 'CAfile = ca.pem', good: yesNoGood, bad: yesNoBad },
  { name: 'verifyPeer', where: 'service', extra: 'CAfile = ca.pem', good: yesNoGood, bad: yesNoBad }, // tunnel extensions
  { name: 'allowPeer', where: 'service', good: [['CN:alice', ['CN:alice']]], bad: [['', missing]] },
  { name: 'denyPeer', where: 'service', good: [['SPKI:abc=', ['SPKI:abc=']]], bad: [['', missing]] },
  {
    name: 'maxConnections',
    where: 'service',
    good: [
      ['1', 1],
      ['500', 500],
    ],
    bad: [
      ['0', invalid],
      ['many', invalid],
    ],
  },
  {
    name: 'connectionRate',
    where: 'service',
    good: [
      ['10/1', { count: 10, seconds: 1 }],
      ['5 / 60', { count: 5, seconds: 60 }],
    ],
    bad: [
      ['10', invalid],
      ['0/1', invalid],
      ['1/0', invalid],
      ['a/b', invalid],
    ],
  },
  {
    name: 'certReload',
    where: 'service',
    good: [
      ['yes', 5],
      ['no', undefined],
      ['2', 2],
    ],
    bad: [
      ['0', invalid],
      ['maybe', invalid],
    ],
  },
  {
    name: 'alpn',
    where: 'service',
    good: [
      ['h2,http/1.1', ['h2', 'http/1.1']],
      ['acme-tls/1', ['acme-tls/1']],
    ],
    bad: [
      ['h2,,http/1.1', invalid],
      ['h 2', invalid],
      [Array.from({ length: 17 }, (_, i) => `p${i}`).join(','), invalid],
      ['x'.repeat(256), invalid],
    ],
  },
  {
    name: 'connectALPN',
    where: 'service',
    good: [
      ['h2:127.0.0.1:8443', [{ protocol: 'h2', address: { kind: 'tcp', host: '127.0.0.1', port: 8443 } }]],
      ['http/1.1:8080', [{ protocol: 'http/1.1', address: { kind: 'tcp', host: undefined, port: 8080 } }]],
    ],
    bad: [
      ['8080', invalid],
      [':8080', invalid],
      ['h2:', invalid],
    ],
  },
  {
    name: 'workers',
    where: 'global',
    good: [
      ['2', 2],
      ['auto', 'auto'],
      ['AUTO', 'auto'],
    ],
    bad: [
      ['0', invalid],
      ['257', invalid],
      ['many', invalid],
      ['', missing],
    ],
  },
  {
    name: 'metrics',
    where: 'global',
    good: [
      ['9100', { kind: 'tcp', host: undefined, port: 9100 }],
      ['127.0.0.1:9100', { kind: 'tcp', host: '127.0.0.1', port: 9100 }],
    ],
    bad: [
      ['/run/tunnel-metrics.sock', invalid],
      ['127.0.0.1:70000', invalid],
      ['', missing],
    ],
  },
  {
    name: 'logFormat',
    where: 'global',
    good: [
      ['text', 'text'],
      ['JSON', 'json'],
    ],
    bad: [
      ['xml', invalid],
      ['', missing],
    ],
  },
];
