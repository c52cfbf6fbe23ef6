/**
 * A deterministic (seeded) corpus of stunnel configurations, valid and invalid, for comparing parseConfig with
 * Debian's stunnel4 5.68. Texts use placeholders that the oracle replaces with real paths:
 * @DIR@ (a scratch directory), @CERT@ (certificate chain), @KEY@ (its key), @COMBINED@ (key + cert),
 * @CA@ (a CA file), @PSK@ (a PSK secrets file with long keys).
 */

/** One configuration of the corpus. */
export interface OracleCase {
  id: string;
  /** What the case exercises. */
  about: string;
  text: string;
  /** Extra files, relative to @DIR@ (for include). */
  files?: Record<string, string>;
}

/** mulberry32: a tiny seeded PRNG, so the corpus is the same on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const head = 'foreground = yes\npid =\n';
const server = (extra = ''): string => `${head}[svc]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\ncert = @COMBINED@\n${extra}`;
const client = (extra = ''): string => `${head}[svc]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n${extra}`;
const verifying = (extra = ''): string => server(`verifyChain = yes\nCAfile = @CA@\n${extra}`);
const global = (line: string): string => `${head}${line}\n[svc]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\ncert = @COMBINED@\n`;

/** Per option: values stunnel 5.68 accepts and values it refuses, and the template to put them in. */
interface OptionSamples {
  name: string;
  place: (line: string) => string;
  good: string[];
  bad: string[];
}

const serviceLine = (line: string): string => server(`${line}\n`);
const clientLine = (line: string): string => client(`${line}\n`);
const verifyLine = (line: string): string => verifying(`${line}\n`);

const samples: OptionSamples[] = [
  { name: 'chroot', place: global, good: ['@DIR@'], bad: [] },
  { name: 'compression', place: global, good: [], bad: ['rle', 'gzip'] },
  {
    name: 'debug',
    place: global,
    good: ['info', '7', 'DEBUG', 'local0.info', 'LOCAL0.Notice', 'daemon.6'],
    bad: ['8', 'bogus', 'bogus.info', 'error', 'daemon.'],
  },
  { name: 'EGD', place: global, good: ['@DIR@/egd'], bad: [] },
  { name: 'engine', place: global, good: ['auto'], bad: [] },
  { name: 'engineDefault', place: global, good: [], bad: ['ALL', 'RSA,DSA'] },
  { name: 'fips', place: global, good: ['no', 'NO'], bad: ['maybe', '0'] },
  { name: 'foreground', place: global, good: ['yes', 'YES'], bad: ['sometimes', '1'] },
  { name: 'log', place: global, good: ['append', 'overwrite', 'OVERWRITE'], bad: ['truncate'] },
  { name: 'output', place: global, good: ['@DIR@/out.log'], bad: [] },
  { name: 'pid', place: global, good: ['@DIR@/x.pid', ''], bad: [] },
  { name: 'RNDbytes', place: global, good: ['64', '0', '+32'], bad: ['lots', '12k', '0x10'] },
  { name: 'RNDfile', place: global, good: ['/dev/urandom'], bad: [] },
  { name: 'RNDoverwrite', place: global, good: ['no', 'yes'], bad: ['never'] },
  { name: 'service', place: global, good: ['myname'], bad: [] },
  {
    name: 'socket',
    place: global,
    good: [
      'a:SO_REUSEADDR=yes',
      'a:SO_REUSEADDR=NO',
      'l:SO_LINGER=1:60',
      'l:SO_LINGER=1',
      'r:TCP_NODELAY=yes',
      'a:SO_BINDTODEVICE=lo',
      'l:TCP_KEEPIDLE=60',
      'r:SO_RCVBUF=65536',
      'r:SO_RCVTIMEO=5:0',
      'l:SO_KEEPALIVE=yes',
      'r:IP_TOS=16',
      'a:IPV6_V6ONLY=no',
    ],
    bad: [
      'x:TCP_NODELAY=yes',
      'A:SO_REUSEADDR=yes',
      'a:SO_BOGUS=1',
      'a:so_reuseaddr=yes',
      'a:SO_RCVBUF=abc',
      'a:SO_RCVBUF=1:2',
      'a:SO_LINGER=1:2:3',
      'a:SO_KEEPALIVE=maybe',
      'a: SO_REUSEADDR=yes',
      'a:SO_REUSEADDR',
    ],
  },
  { name: 'syslog', place: global, good: ['no', 'yes'], bad: ['maybe'] },
  { name: 'setuid', place: global, good: ['root'], bad: [] },
  { name: 'setgid', place: global, good: ['root'], bad: [] },
  { name: 'taskbar', place: global, good: [], bad: ['yes'] },
  { name: 'iconIdle', place: global, good: [], bad: ['idle.ico'] },
  { name: 'iconActive', place: global, good: [], bad: ['active.ico'] },
  { name: 'iconError', place: global, good: [], bad: ['error.ico'] },
  {
    name: 'accept',
    place: (line) => `${head}[svc]\n${line}\nconnect = 127.0.0.1:9\ncert = @COMBINED@\n`,
    good: ['127.0.0.1:0', '0', ':0', '::1:0', ':::0', 'localhost:0', '@DIR@/accept.sock'],
    bad: ['[::1]:0', '127.0.0.1:nosuchservice'],
  },
  { name: 'CApath', place: serviceLine, good: ['@DIR@'], bad: [] },
  { name: 'CAfile', place: serviceLine, good: ['@CA@'], bad: [] },
  {
    name: 'cert',
    place: (line) => `${head}[svc]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n${line}\n`,
    good: ['@COMBINED@'],
    bad: [''],
  },
  { name: 'checkEmail', place: verifyLine, good: ['a@example.com'], bad: [] },
  { name: 'checkHost', place: verifyLine, good: ['example.com'], bad: [] },
  { name: 'checkIP', place: verifyLine, good: ['127.0.0.1'], bad: [] },
  { name: 'ciphers', place: serviceLine, good: ['HIGH', 'HIGH:!aNULL'], bad: [] },
  { name: 'client', place: serviceLine, good: ['no', 'NO', 'yes'], bad: ['true', '1', 'on'] },
  { name: 'config', place: serviceLine, good: ['MinProtocol:TLSv1.2'], bad: [] },
  {
    name: 'connect',
    place: (line) => `${head}[svc]\naccept = 127.0.0.1:0\n${line}\ncert = @COMBINED@\n`,
    good: ['127.0.0.1:9', '9', 'localhost:imaps', '::1:9', '@DIR@/connect.sock', 'imaps'],
    bad: [],
  },
  { name: 'CRLpath', place: serviceLine, good: ['@DIR@'], bad: [] },
  { name: 'curves', place: serviceLine, good: ['P-256', 'P-256:X25519', 'prime256v1'], bad: [] },
  { name: 'curve', place: serviceLine, good: ['prime256v1'], bad: [] },
  { name: 'logId', place: serviceLine, good: ['sequential', 'unique', 'thread', 'process', 'PROCESS'], bad: ['random'] },
  { name: 'debug', place: serviceLine, good: ['info', '6', 'Notice'], bad: ['local0.info', 'daemon.info', '9'] },
  { name: 'delay', place: serviceLine, good: ['yes', 'no'], bad: ['later'] },
  { name: 'engineNum', place: serviceLine, good: [], bad: ['abc'] },
  {
    name: 'exec',
    place: (line) => `${head}[svc]\naccept = 127.0.0.1:0\n${line}\ncert = @COMBINED@\n`,
    good: ['/bin/cat'],
    bad: [],
  },
  {
    name: 'execArgs',
    place: (line) => `${head}[svc]\naccept = 127.0.0.1:0\nexec = /bin/cat\n${line}\ncert = @COMBINED@\n`,
    good: ['cat', 'cat  -u   -'],
    bad: [],
  },
  { name: 'failover', place: serviceLine, good: ['rr', 'prio', 'PRIO'], bad: ['random', 'x'] },
  { name: 'ident', place: serviceLine, good: ['someone'], bad: [] },
  { name: 'key', place: serviceLine, good: ['@KEY@'], bad: [] },
  { name: 'libwrap', place: serviceLine, good: ['no'], bad: ['maybe'] },
  { name: 'local', place: serviceLine, good: ['127.0.0.1'], bad: [] },
  { name: 'OCSP', place: serviceLine, good: ['http://127.0.0.1:1/'], bad: [] },
  { name: 'OCSPaia', place: serviceLine, good: ['yes', 'no'], bad: ['maybe'] },
  { name: 'OCSPflag', place: serviceLine, good: ['NOCERTS', 'nocerts', 'NOTIME', 'RESPID_KEY'], bad: ['BOGUS', 'NOCERTS,NOTIME'] },
  { name: 'OCSPnonce', place: serviceLine, good: ['yes'], bad: ['2'] },
  {
    name: 'options',
    place: serviceLine,
    good: ['NO_TLSv1', '-NO_SSLv3', 'no_tlsv1_1', 'CIPHER_SERVER_PREFERENCE', 'NO_TICKET'],
    bad: ['BOGUS', 'SSL_OP_NO_TLSv1', 'NO_TLSv1 NO_TLSv1_1'],
  },
  { name: 'protocol', place: serviceLine, good: ['smtp', 'IMAP', 'pop3', 'pgsql', 'cifs', 'connect', 'proxy'], bad: ['bad name!'] },
  { name: 'protocol', place: clientLine, good: ['smtp', 'nntp', 'connect', 'socks', 'pgsql'], bad: [] },
  { name: 'protocolAuthentication', place: clientLine, good: ['basic'], bad: [] },
  { name: 'protocolDomain', place: clientLine, good: ['EXAMPLE'], bad: [] },
  { name: 'protocolHost', place: clientLine, good: ['example.com:443'], bad: [] },
  { name: 'protocolPassword', place: clientLine, good: ['secret=with=equals'], bad: [] },
  { name: 'protocolUsername', place: clientLine, good: ['user'], bad: [] },
  { name: 'PSKidentity', place: clientLine, good: ['me'], bad: [] },
  { name: 'PSKsecrets', place: clientLine, good: ['@PSK@'], bad: [] },
  { name: 'pty', place: serviceLine, good: ['no'], bad: ['maybe'] },
  { name: 'redirect', place: verifyLine, good: ['9', '127.0.0.1:9'], bad: [] },
  { name: 'renegotiation', place: serviceLine, good: ['no'], bad: ['sometimes'] },
  { name: 'reset', place: serviceLine, good: ['no'], bad: ['hard'] },
  { name: 'retry', place: serviceLine, good: ['yes'], bad: ['500'] },
  { name: 'setuid', place: serviceLine, good: ['root'], bad: [] },
  { name: 'setgid', place: serviceLine, good: ['root'], bad: [] },
  { name: 'sessionCacheSize', place: serviceLine, good: ['0', '10'], bad: ['many'] },
  { name: 'sessionCacheTimeout', place: serviceLine, good: ['10'], bad: ['1m'] },
  { name: 'sessiond', place: serviceLine, good: ['127.0.0.1:9'], bad: [] },
  { name: 'sslVersion', place: serviceLine, good: ['TLSv1.2', 'tlsv1.3', 'all', 'TLSv1'], bad: ['TLSv1.4', 'SSLv4', 'tls1.2'] },
  { name: 'stack', place: serviceLine, good: ['131072'], bad: ['big'] },
  { name: 'TIMEOUTbusy', place: serviceLine, good: ['10', '0', '+5'], bad: ['abc', '10s', '0x10'] },
  { name: 'TIMEOUTclose', place: serviceLine, good: ['0'], bad: ['soon'] },
  { name: 'TIMEOUTconnect', place: serviceLine, good: ['5'], bad: ['5.5'] },
  { name: 'TIMEOUTidle', place: serviceLine, good: ['3600'], bad: ['forever'] },
  { name: 'transparent', place: serviceLine, good: ['none', 'NONE', 'no', 'source', 'yes'], bad: ['maybe', 'dest'] },
  { name: 'verify', place: (line) => server(`CAfile = @CA@\n${line}\n`), good: ['0', '1', '2', '3', '4'], bad: ['5', '-1', 'none'] },
  { name: 'CAengine', place: serviceLine, good: ['someid'], bad: [] },
  { name: 'ciphersuites', place: serviceLine, good: ['TLS_AES_128_GCM_SHA256'], bad: [] },
  { name: 'protocolHeader', place: clientLine, good: ['X-Forwarded-For: 1.2.3.4'], bad: [] },
  { name: 'requireCert', place: serviceLine, good: ['yes', 'no'], bad: ['maybe'] },
  { name: 'securityLevel', place: serviceLine, good: ['0', '1', '2'], bad: ['6', 'high'] },
  { name: 'sessionResume', place: serviceLine, good: ['no'], bad: ['maybe'] },
  { name: 'sslVersionMax', place: serviceLine, good: ['TLSv1.2', 'all'], bad: ['TLSv9'] },
  { name: 'sslVersionMin', place: serviceLine, good: ['TLSv1.2', 'TLSv1.3'], bad: ['TLSv9'] },
  {
    name: 'ticketKeySecret',
    place: (line) => server(`${line}\nticketMacSecret = 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n`),
    good: ['00112233445566778899aabbccddeeff', '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF'],
    bad: ['0011', '0g112233445566778899aabbccddeeff'],
  },
  { name: 'verifyChain', place: (line) => server(`CAfile = @CA@\n${line}\n`), good: ['yes', 'no'], bad: ['maybe'] },
  { name: 'verifyPeer', place: (line) => server(`CAfile = @CA@\n${line}\n`), good: ['yes', 'no'], bad: ['maybe'] },
  { name: 'bogusOption', place: serviceLine, good: [], bad: ['1'] },
  { name: 'fips', place: serviceLine, good: [], bad: ['no'] },
  { name: 'chroot', place: serviceLine, good: [], bad: ['/tmp'] },
];

/** Hand-written grammar and semantics cases. */
const handWritten: Array<Omit<OracleCase, 'id'>> = [
  { about: 'minimal server', text: server() },
  { about: 'minimal client', text: client() },
  { about: '# comment line', text: `# hello\n${server()}` },
  { about: '; comment line', text: `; hello\n${server()}` },
  { about: 'indented comments', text: `   ; hi\n\t# hi\n${server()}` },
  { about: 'upper-case option names', text: `${head}[svc]\nACCEPT = 127.0.0.1:0\nConnect = 9\nCERT = @COMBINED@\n` },
  { about: 'no spaces around =', text: `${head}[svc]\naccept=127.0.0.1:0\nconnect=9\ncert=@COMBINED@\n` },
  { about: 'lots of whitespace', text: `${head}   [svc]   \n\taccept    =    127.0.0.1:0   \nconnect\t=\t9\ncert = @COMBINED@\n` },
  { about: 'CRLF line endings', text: server().replaceAll('\n', '\r\n') },
  { about: 'UTF-8 BOM at the start', text: `\uFEFF${server()}` },
  { about: 'BOM in the middle is not skipped', text: `${head}\uFEFF[svc]\naccept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'duplicate service names', text: `${server()}[svc]\naccept = 127.0.0.1:0\nconnect = 10\ncert = @COMBINED@\n` },
  { about: 'section name with spaces', text: `${head}[ my svc ]\naccept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'empty section name', text: `${head}[]\naccept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'unclosed section header', text: `${head}[svc\naccept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'junk after section header', text: `${head}[svc] x\naccept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'line without =', text: server('hello\n') },
  { about: 'empty option name', text: server(' = x\n') },
  { about: 'inline ; is part of the value', text: server('ciphers = HIGH ; comment\n') },
  { about: 'value containing =', text: client('protocolPassword = a=b\n') },
  { about: 'empty value', text: server('ciphers =\n') },
  { about: 'two accept lines', text: server('accept = 127.0.0.1:0\n') },
  { about: 'two connect lines', text: server('connect = 127.0.0.1:10\n') },
  { about: 'cert set twice, last wins', text: server('cert = @COMBINED@\n') },
  { about: 'server without cert', text: `${head}[svc]\naccept = 127.0.0.1:0\nconnect = 9\n` },
  { about: 'server with separate cert and key', text: `${head}[svc]\naccept = 127.0.0.1:0\nconnect = 9\ncert = @CERT@\nkey = @KEY@\n` },
  { about: 'client without cert', text: client() },
  { about: 'client set after the other options', text: `${head}[svc]\naccept = 127.0.0.1:0\nconnect = 9\nclient = yes\n` },
  { about: 'exec and connect with accept', text: server('exec = /bin/cat\n') },
  { about: 'exec and connect without accept', text: `${head}[svc]\nexec = /bin/cat\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'accept only', text: `${head}[svc]\naccept = 127.0.0.1:0\ncert = @COMBINED@\n` },
  { about: 'connect only', text: `${head}[svc]\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'execArgs without exec', text: `${head}[svc]\naccept = 127.0.0.1:0\nexecArgs = cat\ncert = @COMBINED@\n` },
  { about: 'inetd mode with connect', text: `${head}connect = 9\ncert = @COMBINED@\n` },
  { about: 'inetd mode with exec', text: `${head}exec = /bin/cat\nexecArgs = cat\ncert = @COMBINED@\n` },
  { about: 'inetd mode with exec and connect', text: `${head}exec = /bin/cat\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'inetd mode without endpoint', text: `${head}cert = @COMBINED@\n` },
  { about: 'inetd mode with accept', text: `${head}accept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'inetd mode server without cert', text: `${head}connect = 9\n` },
  { about: 'inetd mode client', text: `${head}client = yes\nconnect = 9\n` },
  {
    about: 'global defaults for services',
    text: `${head}cert = @COMBINED@\nconnect = 9\n[a]\naccept = 127.0.0.1:0\n[b]\naccept = 127.0.0.1:0\nconnect = 10\n`,
  },
  { about: 'global client default', text: `${head}client = yes\n[a]\naccept = 127.0.0.1:0\nconnect = 9\n` },
  { about: 'global option in a service', text: server('foreground = yes\n') },
  { about: 'global option after services', text: `${server()}syslog = no\n` },
  {
    about: 'transparent destination without connect',
    text: `${head}[svc]\naccept = 127.0.0.1:0\ntransparent = destination\ncert = @COMBINED@\n`,
  },
  { about: 'socks server without connect', text: `${head}[svc]\naccept = 127.0.0.1:0\nprotocol = socks\ncert = @COMBINED@\n` },
  { about: 'socks server with connect', text: server('protocol = socks\n') },
  { about: 'redirect without verification', text: server('redirect = 9\n') },
  { about: 'checkHost without verification', text: server('checkHost = example.com\n') },
  { about: 'verify without CA', text: server('verify = 2\n') },
  { about: 'verifyPeer without CA', text: server('verifyPeer = yes\n') },
  { about: 'verify 0 without CA', text: server('verify = 0\n') },
  { about: 'client verify without CA', text: client('verify = 2\n') },
  { about: 'ticketKeySecret alone', text: server('ticketKeySecret = 00112233445566778899aabbccddeeff\n') },
  { about: 'ticketMacSecret alone', text: server('ticketMacSecret = 00112233445566778899aabbccddeeff\n') },
  {
    about: 'ticket secrets in client mode',
    text: client('ticketKeySecret = 00112233445566778899aabbccddeeff\nticketMacSecret = 00112233445566778899aabbccddeeff\n'),
  },
  { about: 'sni slave', text: `${server()}[s]\nsni = svc:foo.example.com\nconnect = 10\ncert = @COMBINED@\n` },
  {
    about: 'sni slave, two patterns',
    text: `${server()}[s]\nsni = svc:foo.example.com\nsni = svc:*.example.org\nconnect = 10\ncert = @COMBINED@\n`,
  },
  { about: 'sni slave, empty pattern', text: `${server()}[s]\nsni = svc:\nconnect = 10\ncert = @COMBINED@\n` },
  { about: 'sni slave without cert', text: `${server()}[s]\nsni = svc:foo\nconnect = 10\n` },
  { about: 'sni slave with accept', text: `${server()}[s]\nsni = svc:foo\naccept = 127.0.0.1:0\nconnect = 10\ncert = @COMBINED@\n` },
  { about: 'sni primary not found', text: `${server()}[s]\nsni = nosuch:foo\nconnect = 10\ncert = @COMBINED@\n` },
  {
    about: 'sni primary defined later',
    text: `${head}[s]\nsni = svc:foo\nconnect = 10\ncert = @COMBINED@\n${server().slice(head.length)}`,
  },
  { about: 'sni primary name differs in case', text: `${server()}[s]\nsni = SVC:foo\nconnect = 10\ncert = @COMBINED@\n` },
  { about: 'sni primary is a client', text: `${client()}[s]\nsni = svc:foo\nconnect = 10\ncert = @COMBINED@\n` },
  { about: 'sni slave in client mode', text: `${server()}[s]\nsni = svc:foo\nclient = yes\nconnect = 10\n` },
  { about: 'sni without colon in server mode', text: server('sni = foo.example.com\n') },
  { about: 'sni empty in server mode', text: server('sni =\n') },
  { about: 'sni in client mode', text: client('sni = foo.example.com\n') },
  { about: 'sni empty in client mode', text: client('sni =\n') },
  { about: 'sni with colon in client mode', text: client('sni = a:foo.example.com\n') },
  { about: 'engineCtrl without engine', text: global('engineCtrl = LOAD') },
  { about: 'engineCtrl after engine auto', text: global('engine = auto\nengineCtrl = LOAD') },
  {
    about: 'include a directory',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/01.conf': '[svc]\naccept = 127.0.0.1:0\nconnect = 9\ncert = @COMBINED@\n' },
  },
  {
    about: 'include inside a section continues it',
    text: `${head}[svc]\naccept = 127.0.0.1:0\ninclude = @DIR@/inc\n`,
    files: { 'inc/a.conf': 'connect = 9\n', 'inc/b.conf': 'cert = @COMBINED@\n' },
  },
  {
    about: 'include reads every file name',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/01.conf': server().slice(head.length), 'inc/02.txt': 'bogus = 1\n' },
  },
  {
    about: 'include reads hidden files',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/01.conf': server().slice(head.length), 'inc/.hidden': 'bogus = 1\n' },
  },
  {
    about: 'include skips subdirectories',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/01.conf': server().slice(head.length), 'inc/sub/x.conf': 'bogus = 1\n' },
  },
  { about: 'include of a missing directory', text: `${server()}include = @DIR@/nonexistent\n` },
  {
    about: 'include order decides the section',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/B.conf': '[svc]\naccept = 127.0.0.1:0\n', 'inc/a.conf': 'connect = 9\ncert = @COMBINED@\n' },
  },
  {
    about: 'include order, reversed',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/b.conf': '[svc]\naccept = 127.0.0.1:0\n', 'inc/A.conf': 'connect = 9\ncert = @COMBINED@\n' },
  },
  {
    about: 'include error inside the included file',
    text: `${head}include = @DIR@/inc\n`,
    files: { 'inc/01.conf': `${server().slice(head.length)}verify = 9\n` },
  },
  // Cases where tunnel decides differently on purpose, or where stunnel's verdict depends on the machine
  // (files, users, DNS, OpenSSL build) rather than on the text. known.ts explains each.
  { about: 'divergent: compression = deflate', text: global('compression = deflate') },
  { about: 'divergent: compression = zlib', text: global('compression = zlib') },
  { about: 'divergent: fips = yes', text: global('fips = yes') },
  { about: 'divergent: sslVersion = SSLv2', text: server('sslVersion = SSLv2\n') },
  { about: 'divergent: sslVersionMin = SSLv2', text: server('sslVersionMin = SSLv2\n') },
  { about: 'divergent: TIMEOUTbusy = -1', text: server('TIMEOUTbusy = -1\n') },
  { about: 'divergent: socket = a:IP_TOS=-1', text: global('socket = a:IP_TOS=-1') },
  { about: 'divergent: accept port 70000', text: `${head}[svc]\naccept = 127.0.0.1:70000\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'divergent: connect port 70000', text: server('connect = 127.0.0.1:70000\n') },
  { about: 'divergent: accept with an empty port', text: `${head}[svc]\naccept = 127.0.0.1:\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'divergent: connect with an empty value', text: `${head}[svc]\naccept = 127.0.0.1:0\nconnect =\ncert = @COMBINED@\n` },
  { about: 'divergent: connect to an unknown service name', text: server('connect = 127.0.0.1:nosuchservice\n') },
  { about: 'divergent: connect with an inline comment', text: server('connect = 9 ; upstream\n') },
  { about: 'divergent: accept on an unresolvable host', text: `${head}[svc]\naccept = nosuch.invalid:0\nconnect = 9\ncert = @COMBINED@\n` },
  { about: 'divergent: local is an unresolvable host', text: server('local = nosuch.invalid\n') },
  { about: 'divergent: setuid to a missing user', text: global('setuid = nosuchuser') },
  { about: 'divergent: setgid to a missing group', text: global('setgid = nosuchgroup') },
  { about: 'divergent: unknown cipher list', text: server('ciphers = BOGUS\n') },
  { about: 'divergent: unknown curve', text: server('curves = bogus\n') },
  { about: 'divergent: unknown ciphersuite', text: server('ciphersuites = bogus\n') },
  { about: 'divergent: unknown engine', text: global('engine = bogus') },
  { about: 'divergent: engineId without engine', text: server('engineId = x\n') },
  { about: 'divergent: engineNum without engine', text: server('engineNum = 1\n') },
  { about: 'divergent: securityLevel 5 with a 2048-bit key', text: server('securityLevel = 5\n') },
  { about: 'divergent: missing cert file', text: `${head}[svc]\naccept = 127.0.0.1:0\nconnect = 9\ncert = @DIR@/missing.pem\n` },
  { about: 'divergent: missing CRLfile', text: server('CRLfile = @DIR@/missing.crl\n') },
  { about: 'divergent: missing PSKsecrets file', text: client('PSKsecrets = @DIR@/missing.psk\n') },
  { about: 'divergent: protocol nntp in server mode', text: server('protocol = nntp\n') },
  { about: 'divergent: protocol proxy in client mode', text: client('protocol = proxy\n') },
  { about: 'divergent: protocol unknown name', text: server('protocol = myproto\n') },
  { about: 'divergent: OCSPrequire (stunnel 5.70+, supported here)', text: server('OCSPrequire = yes\n') },
  { about: 'divergent: TIMEOUTocsp (newer stunnel, supported here)', text: server('TIMEOUTocsp = 5\n') },
  { about: 'divergent: include loop', text: `${head}include = @DIR@/inc\n`, files: { 'inc/self.conf': 'include = @DIR@/inc\n' } },
];

/** Options that can be combined freely in one server service without changing the endpoint or verify rules. */
const combinable = samples.filter(
  (sample) =>
    sample.place === serviceLine &&
    !['client', 'protocol', 'chroot', 'fips', 'bogusOption', 'OCSPrequire', 'engineNum', 'setuid', 'setgid', 'debug'].includes(sample.name),
);

/**
 * Build the corpus: hand-written cases, every sample value of every option, then `randomCount` random mixes of
 * combinable options (with one bad value in about a third of them). Same seed, same corpus.
 */
export function generateCorpus(seed = 5068, randomCount = 120): OracleCase[] {
  const cases: OracleCase[] = [];
  let n = 0;
  const add = (about: string, text: string, files?: Record<string, string>): void => {
    n += 1;
    cases.push({ id: `c${String(n).padStart(3, '0')}`, about, text, ...(files === undefined ? {} : { files }) });
  };
  for (const item of handWritten) add(item.about, item.text, item.files);
  for (const sample of samples) {
    for (const value of sample.good) add(`${sample.name} valid: "${value}"`, sample.place(`${sample.name} = ${value}`));
    for (const value of sample.bad) add(`${sample.name} invalid: "${value}"`, sample.place(`${sample.name} = ${value}`));
  }
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  for (let index = 0; index < randomCount; index++) {
    const lines: string[] = [];
    const names: string[] = [];
    const count = 2 + Math.floor(next() * 4);
    for (let k = 0; k < count; k++) {
      const sample = pick(combinable.filter((candidate) => candidate.good.length > 0));
      const value = pick(sample.good);
      lines.push(`${sample.name} = ${value}`);
      names.push(sample.name);
    }
    if (next() < 0.35) {
      const sample = pick(combinable.filter((candidate) => candidate.bad.length > 0));
      lines.splice(Math.floor(next() * (lines.length + 1)), 0, `${sample.name} = ${pick(sample.bad)}`);
      names.push(`${sample.name}!`);
    }
    const casing = next();
    const text = lines.map((line) => (casing < 0.2 ? line.replace(/^\S+/, (name) => name.toUpperCase()) : line)).join('\n');
    add(`random mix: ${names.join(', ')}`, server(`${text}\n`));
  }
  return cases;
}
