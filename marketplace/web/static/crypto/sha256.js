// SHA-256 (FIPS 180-4 §6.2) in plain JavaScript: the ledger explorer's fallback where
// WebCrypto is unavailable (no secure context, or an old browser). Written for elx.
// The round constants and initial hash value are derived, not typed in: the first 32 bits of
// the fractional parts of the cube roots of the first 64 primes and of the square roots of the
// first 8 primes (FIPS 180-4 §4.2.2, §5.3.3), computed exactly with BigInt integer roots.
"use strict";
(function (root) {
  function primes(count) {
    const found = [];
    for (let n = 2; found.length < count; n++) {
      if (found.every((p) => n % p !== 0)) found.push(n);
    }
    return found;
  }

  // floor(n ** (1/k)) for a BigInt n >= 1 (Newton's method from above).
  function iroot(n, k) {
    const K = BigInt(k);
    let x = 1n << BigInt(Math.ceil(n.toString(2).length / k) + 1);
    for (;;) {
      const y = ((K - 1n) * x + n / x ** (K - 1n)) / K;
      if (y >= x) return x;
      x = y;
    }
  }

  // First `bits` bits of the fractional part of the k-th root of each prime.
  function fractionBits(count, k, bits) {
    const mask = (1n << BigInt(bits)) - 1n;
    return primes(count).map((p) => iroot(BigInt(p) << BigInt(bits * k), k) & mask);
  }

  const K = Uint32Array.from(fractionBits(64, 3, 32), Number);
  const IV = Uint32Array.from(fractionBits(8, 2, 32), Number);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));

  function sha256(input) {
    const data = input instanceof Uint8Array ? input : new Uint8Array(input);
    const length = data.length;
    const padded = new Uint8Array(Math.ceil((length + 9) / 64) * 64);
    padded.set(data);
    padded[length] = 0x80;
    const view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));  // bits, high word
    view.setUint32(padded.length - 4, (length * 8) >>> 0);               // bits, low word
    const H = Uint32Array.from(IV);
    const W = new Uint32Array(64);
    for (let offset = 0; offset < padded.length; offset += 64) {
      for (let t = 0; t < 16; t++) W[t] = view.getUint32(offset + 4 * t);
      for (let t = 16; t < 64; t++) {
        const s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >>> 3);
        const s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >>> 10);
        W[t] = W[t - 16] + s0 + W[t - 7] + s1;  // Uint32Array stores modulo 2^32
      }
      let [a, b, c, d, e, f, g, h] = H;
      for (let t = 0; t < 64; t++) {
        const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g))
                    + K[t] + W[t]) >>> 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
        h = g; g = f; f = e; e = (d + t1) >>> 0;
        d = c; c = b; b = a; a = (t1 + t2) >>> 0;
      }
      H[0] += a; H[1] += b; H[2] += c; H[3] += d;
      H[4] += e; H[5] += f; H[6] += g; H[7] += h;
    }
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    H.forEach((word, i) => outView.setUint32(4 * i, word));
    return out;
  }

  root.elxCrypto = Object.assign(root.elxCrypto || {}, { sha256 });
})(window);
