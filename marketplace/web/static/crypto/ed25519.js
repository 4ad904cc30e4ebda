// Ed25519 signature verification (RFC 8032 §5.1) in plain JavaScript with BigInt field
// arithmetic: the ledger explorer's fallback where WebCrypto has no Ed25519. Written for elx;
// needs sha512.js. Verification only — no secrets are ever handled here, so constant time
// does not matter.
//
// verify(publicKey, message, signature) follows §5.1.7: decode A (§5.1.3, strict: y < p),
// split the signature into R and S, reject S >= L, k = SHA-512(R ‖ A ‖ M) mod L, and accept iff
// the encoding (§5.1.2) of [S]B - [k]A equals R — the cofactorless check, as OpenSSL and
// BoringSSL make it, so this agrees with the server's and the browser's verifiers.
"use strict";
(function (root) {
  const P = 2n ** 255n - 19n;
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const mod = (a, m = P) => ((a % m) + m) % m;

  function pow(base, exponent) {
    let result = 1n;
    base = mod(base);
    while (exponent > 0n) {
      if (exponent & 1n) result = (result * base) % P;
      base = (base * base) % P;
      exponent >>= 1n;
    }
    return result;
  }

  const inv = (a) => pow(a, P - 2n);  // Fermat: a^(p-2) = a^-1 mod p
  const D = mod(-121665n * inv(121666n));
  const D2 = (2n * D) % P;
  const SQRT_M1 = pow(2n, (P - 1n) / 4n);

  function littleEndian(bytes) {
    let n = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
    return n;
  }

  // Points in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, xy = T/Z (§5.1.4).
  const ZERO = [0n, 1n, 1n, 0n];

  function add([X1, Y1, Z1, T1], [X2, Y2, Z2, T2]) {
    const a = ((Y1 - X1) * (Y2 - X2)) % P;
    const b = ((Y1 + X1) * (Y2 + X2)) % P;
    const c = (T1 * D2 % P) * T2 % P;
    const d = (2n * Z1 * Z2) % P;
    const e = b - a, f = d - c, g = d + c, h = b + a;
    return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
  }

  function multiply(point, scalar) {
    let result = ZERO;
    for (let addend = point; scalar > 0n; scalar >>= 1n, addend = add(addend, addend)) {
      if (scalar & 1n) result = add(result, addend);
    }
    return result;
  }

  const negate = ([X, Y, Z, T]) => [mod(-X), Y, Z, mod(-T)];

  // §5.1.2: y in little-endian with the low bit of x in the top bit of the last byte.
  function encode([X, Y, Z]) {
    const zInv = inv(Z);
    const x = (X * zInv) % P;
    let y = (Y * zInv) % P;
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++, y >>= 8n) out[i] = Number(y & 0xffn);
    out[31] |= Number(x & 1n) << 7;
    return out;
  }

  // §5.1.3: the point encoded by 32 bytes, or null if they encode none.
  function decode(bytes) {
    if (bytes.length !== 32) return null;
    const sign = bytes[31] >> 7;
    const copy = Uint8Array.from(bytes);
    copy[31] &= 0x7f;
    const y = littleEndian(copy);
    if (y >= P) return null;
    const u = mod(y * y - 1n);
    const v = mod(D * y * y + 1n);
    let x = (u * pow(v, 3n) % P) * pow(u * pow(v, 7n), (P - 5n) / 8n) % P;
    const vxx = (v * x % P) * x % P;
    if (vxx === mod(-u)) x = (x * SQRT_M1) % P;
    else if (vxx !== u) return null;
    if (x === 0n && sign === 1) return null;
    if (Number(x & 1n) !== sign) x = P - x;
    return [x, y, 1n, (x * y) % P];
  }

  const yBase = (4n * inv(5n)) % P;  // B has y = 4/5 and an even x (§5.1)
  const BASE = decode(Uint8Array.from({ length: 32 }, (_, i) => Number((yBase >> BigInt(8 * i)) & 0xffn)));

  function verify(publicKey, message, signature) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    const A = decode(publicKey);
    if (A === null) return false;
    const R = signature.subarray(0, 32);
    const S = littleEndian(signature.subarray(32));
    if (S >= L) return false;
    const hashed = new Uint8Array(64 + message.length);
    hashed.set(R, 0);
    hashed.set(publicKey, 32);
    hashed.set(message, 64);
    const k = mod(littleEndian(root.elxCrypto.sha512(hashed)), L);
    const check = encode(add(multiply(BASE, S), negate(multiply(A, k))));
    return check.every((byte, i) => byte === R[i]);
  }

  root.elxCrypto = Object.assign(root.elxCrypto || {}, { ed25519Verify: verify });
})(window);
