// SHA-512 (FIPS 180-4 §6.4) in plain JavaScript with BigInt words, for the ledger explorer's
// Ed25519 fallback (RFC 8032 hashes with SHA-512). Written for elx.
// Constants are derived like in sha256.js: the first 64 bits of the fractional parts of the
// cube roots of the first 80 primes and of the square roots of the first 8 (FIPS 180-4 §4.2.3).
"use strict";
(function (root) {
  const MASK = (1n << 64n) - 1n;

  function primes(count) {
    const found = [];
    for (let n = 2; found.length < count; n++) {
      if (found.every((p) => n % p !== 0)) found.push(n);
    }
    return found;
  }

  function iroot(n, k) {
    const K = BigInt(k);
    let x = 1n << BigInt(Math.ceil(n.toString(2).length / k) + 1);
    for (;;) {
      const y = ((K - 1n) * x + n / x ** (K - 1n)) / K;
      if (y >= x) return x;
      x = y;
    }
  }

  const fractionBits = (count, k) =>
    primes(count).map((p) => iroot(BigInt(p) << BigInt(64 * k), k) & MASK);
  const K = fractionBits(80, 3);
  const IV = fractionBits(8, 2);
  const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & MASK;

  function sha512(input) {
    const data = input instanceof Uint8Array ? input : new Uint8Array(input);
    const length = data.length;
    const padded = new Uint8Array(Math.ceil((length + 17) / 128) * 128);
    padded.set(data);
    padded[length] = 0x80;
    const view = new DataView(padded.buffer);
    view.setBigUint64(padded.length - 8, BigInt(length) * 8n);  // 128-bit length; high half 0
    const H = IV.slice();
    const W = new Array(80);
    for (let offset = 0; offset < padded.length; offset += 128) {
      for (let t = 0; t < 16; t++) W[t] = view.getBigUint64(offset + 8 * t);
      for (let t = 16; t < 80; t++) {
        const s0 = rotr(W[t - 15], 1n) ^ rotr(W[t - 15], 8n) ^ (W[t - 15] >> 7n);
        const s1 = rotr(W[t - 2], 19n) ^ rotr(W[t - 2], 61n) ^ (W[t - 2] >> 6n);
        W[t] = (W[t - 16] + s0 + W[t - 7] + s1) & MASK;
      }
      let [a, b, c, d, e, f, g, h] = H;
      for (let t = 0; t < 80; t++) {
        const t1 = (h + (rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n)) + ((e & f) ^ (~e & g))
                    + K[t] + W[t]) & MASK;
        const t2 = (rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = (d + t1) & MASK;
        d = c; c = b; b = a; a = (t1 + t2) & MASK;
      }
      [a, b, c, d, e, f, g, h].forEach((word, i) => { H[i] = (H[i] + word) & MASK; });
    }
    const out = new Uint8Array(64);
    const outView = new DataView(out.buffer);
    H.forEach((word, i) => outView.setBigUint64(8 * i, word));
    return out;
  }

  root.elxCrypto = Object.assign(root.elxCrypto || {}, { sha512 });
})(window);
