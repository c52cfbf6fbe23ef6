/**
 * MD4 (RFC 1320), needed only for the NTLM NT hash: Node 20's OpenSSL 3 keeps MD4 in the legacy
 * provider, so `crypto.createHash('md4')` throws. Written from the RFC; tested with its vectors.
 * MD4 is broken as a hash; it is used here only because NTLM defines the NT hash with it.
 */
const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** The MD4 digest (16 bytes) of `data`. */
export function md4(data: Uint8Array): Buffer {
  // Padding (RFC 1320 §3.1-3.2): a 1 bit, zeros to 56 mod 64, then the bit length as 64-bit little endian.
  const length = data.length;
  const padded = Buffer.alloc((((length + 8) >> 6) + 1) << 6);
  padded.set(data);
  padded[length] = 0x80;
  const bits = length * 8;
  padded.writeUInt32LE(bits >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bits / 0x100000000), padded.length - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);
  const f = (p: number, q: number, r: number) => (p & q) | (~p & r);
  const g = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
  const h = (p: number, q: number, r: number) => p ^ q ^ r;
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i += 1) x[i] = padded.readUInt32LE(offset + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const word = (i: number) => x[i] as number;
    // Round 1 (§3.4): [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + word(i)) | 0, 3);
      d = rotl((d + f(a, b, c) + word(i + 1)) | 0, 7);
      c = rotl((c + f(d, a, b) + word(i + 2)) | 0, 11);
      b = rotl((b + f(c, d, a) + word(i + 3)) | 0, 19);
    }
    // Round 2: a = (a + G(b,c,d) + X[k] + 5A827999) <<< s
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + word(i) + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + word(i + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + word(i + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + word(i + 12) + 0x5a827999) | 0, 13);
    }
    // Round 3: a = (a + H(b,c,d) + X[k] + 6ED9EBA1) <<< s
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + word(i) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + word(i + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + word(i + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + word(i + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const digest = Buffer.alloc(16);
  digest.writeInt32LE(a, 0);
  digest.writeInt32LE(b, 4);
  digest.writeInt32LE(c, 8);
  digest.writeInt32LE(d, 12);
  return digest;
}
