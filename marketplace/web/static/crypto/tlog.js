// Transparency-log formats for the ledger explorer, in plain JavaScript (written for elx; the
// Python originals are ledger/note.py, ledger/note_keys.py, ledger/checkpoint.py,
// ledger/entry.py and ledger/proof.py). Pure functions: hashing is passed in as
// `sha256(bytes) -> Promise<Uint8Array>`, so WebCrypto or sha256.js can do it.
// Each parser returns its result or throws a TlogError whose message says what is wrong.
"use strict";
(function (root) {
  class TlogError extends Error {}
  const utf8 = new TextEncoder();

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) { out.set(part, at); at += part.length; }
    return out;
  }

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  function b64encode(bytes) {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  }

  // Canonical standard base64 only (RFC 4648 §4, padding bits zero), as the Python side.
  function b64decode(text, what) {
    let binary;
    try { binary = atob(text); } catch (_) { throw new TlogError(`${what}: bad base64`); }
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    if (b64encode(bytes) !== text) throw new TlogError(`${what}: non-canonical base64`);
    return bytes;
  }

  // C2SP signed-note key names: non-empty, no "+", no spaces or control characters.
  const BAD_NAME = /[+\s\x00-\x1f\x7f]/u;

  // C2SP signed-note §Keys: Ed25519 vkey `name+hexid+base64(0x01 ‖ key)`, key ID =
  // SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]. Returns {name, keyId, publicKey}.
  async function parseVkey(vkey, sha256) {
    const first = vkey.indexOf("+");
    const second = vkey.indexOf("+", first + 1);
    if (first < 1 || second < 0) throw new TlogError("not name+keyid+key");
    const name = vkey.slice(0, first);
    const claimed = vkey.slice(first + 1, second).toLowerCase();
    if (BAD_NAME.test(name) || !/^[0-9a-f]{8}$/.test(claimed)) throw new TlogError("bad name or key ID");
    const raw = b64decode(vkey.slice(second + 1), "key");
    if (raw.length !== 33 || raw[0] !== 0x01) throw new TlogError("not an Ed25519 key");
    const publicKey = raw.slice(1);
    const keyId = (await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey))).slice(0, 4);
    return { name, claimed, keyId, publicKey };
  }

  // C2SP signed-note: text ending in "\n", a blank line, then lines "— name base64(id ‖ sig)".
  function parseNote(note) {
    if (!note.endsWith("\n")) throw new TlogError("does not end in a newline");
    if (/[\x00-\x09\x0b-\x1f]/.test(note)) throw new TlogError("control characters");
    const split = note.lastIndexOf("\n\n");
    if (split < 0) throw new TlogError("no blank line before the signatures");
    const lines = note.slice(split + 2).split("\n").slice(0, -1);
    if (lines.length === 0) throw new TlogError("no signatures");
    const signatures = lines.map((line) => {
      if (!line.startsWith("\u2014 ")) throw new TlogError("a signature line lacks the em dash");
      const rest = line.slice(2);
      const space = rest.indexOf(" ");
      const name = rest.slice(0, space);
      if (space < 1 || BAD_NAME.test(name)) throw new TlogError("bad key name in a signature");
      const raw = b64decode(rest.slice(space + 1), "signature");
      if (raw.length < 5) throw new TlogError("signature too short");
      return { name, keyId: raw.slice(0, 4), signature: raw.slice(4) };
    });
    return { text: note.slice(0, split + 1), signatures };
  }

  // C2SP tlog-checkpoint body: origin, decimal size, base64 root hash, optional extensions.
  function parseCheckpoint(text) {
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || lines.some((line) => line === "")) throw new TlogError("needs origin, size and root lines");
    const [origin, size, rootLine] = lines;
    if (!/^(0|[1-9][0-9]{0,15})$/.test(size)) throw new TlogError("tree size is not canonical decimal");
    const rootHash = b64decode(rootLine, "root hash");
    if (rootHash.length !== 32) throw new TlogError("root hash is not 32 bytes");
    return { origin, size: Number(size), rootHash, rootLine };
  }

  // ledger/entry.py's canonical version-1 entry, byte for byte (RFC 8785 JSON, fixed template).
  const IDENT = String.raw`[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}`;
  const KIND = String.raw`[a-z][a-z0-9_]{0,63}(?:\.[a-z][a-z0-9_]{0,63}){0,7}`;
  const ENTRY = new RegExp(String.raw`^\{"actor":\{"org":"(${IDENT})","user":(?:"(${IDENT})"|null)\},` +
    String.raw`"index":(0|[1-9][0-9]{0,15}),"kind":"(${KIND})","payload_sha256":"([0-9a-f]{64})",` +
    String.raw`"prev":"([0-9a-f]{64})","subject":"(${IDENT})",` +
    String.raw`"ts":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)","v":1\}$`);

  function parseEntry(bytes) {
    if (bytes.some((b) => b > 0x7e)) throw new TlogError("not ASCII");
    const match = ENTRY.exec(String.fromCharCode(...bytes));
    if (!match || Number.isNaN(Date.parse(match[8]))) throw new TlogError("not a canonical entry");
    const [, org, user, index, kind, payload_sha256, prev, subject, ts] = match;
    return { org, user: user || "", index: Number(index), kind, payload_sha256, prev, subject, ts };
  }

  // RFC 9162 §2.1.1 hashes.
  const leafHash = (data, sha256) => sha256(concat(Uint8Array.of(0x00), data));
  const nodeHash = (left, right, sha256) => sha256(concat(Uint8Array.of(0x01), left, right));

  // RFC 9162 §2.1.3.2 steps 1-4: the root an audit path leads to from leaf `index` of `size`.
  async function rootFromInclusionProof(leaf, index, size, proof, sha256) {
    if (!(index < size)) throw new TlogError("index is not below the tree size");
    if (proof.some((p) => p.length !== 32)) throw new TlogError("a proof hash is not 32 bytes");
    let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
    for (const p of proof) {
      if (sn === 0n) throw new TlogError("too many proof hashes");
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r, sha256);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p, sha256);
      }
      fn >>= 1n; sn >>= 1n;
    }
    if (sn !== 0n) throw new TlogError("too few proof hashes");
    return r;
  }

  root.elxTlog = {
    TlogError, concat, hex, equal, b64encode, b64decode, parseVkey, parseNote, parseCheckpoint,
    parseEntry, leafHash, nodeHash, rootFromInclusionProof,
  };
})(window);
