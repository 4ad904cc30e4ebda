// Ledger explorer: verify one entry in this browser (issue 8 §6), so trust in it does not
// depend on the elx server. Fetches the entry, an inclusion proof and the latest signed
// checkpoint from the public /api/v1/ledger routes, then checks: the pinned verifier key, the
// checkpoint's Ed25519 signature (C2SP signed-note), the checkpoint (C2SP tlog-checkpoint), the
// entry's canonical bytes, payload digest, RFC 9162 leaf hash and inclusion proof, its hash-chain
// link, and that the page shows what the entry says. Hashing and signatures use WebCrypto where
// the browser has it, else crypto/sha256.js, sha512.js and ed25519.js (`?impl=js` forces them).
"use strict";
(function () {
  const section = document.getElementById("verifier");
  if (!section) return;
  const T = window.elxTlog;
  const M = JSON.parse(document.getElementById("ledger-messages").textContent);
  const say = (key, values = {}) => M[key].replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  const index = Number(section.dataset.index);
  const api = section.dataset.api;
  const vkeyInput = document.getElementById("vkey");
  const button = document.getElementById("verify");
  const verdict = document.getElementById("verdict");
  const STEPS = ["key", "signature", "checkpoint", "entry", "leaf", "payload", "inclusion", "chain", "page"];
  const MARKS = { pending: "·", ok: "✓", failed: "✗", skipped: "–" };
  const PIN = "elx.ledger.vkey";
  // RFC 8032 §7.1 TEST 1 public key: importing it tells whether WebCrypto has Ed25519.
  const PROBE = Uint8Array.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    .match(/../g), (h) => parseInt(h, 16));

  class Failure extends Error {}

  async function providers() {
    const js = {
      sha256: async (bytes) => window.elxCrypto.sha256(bytes),
      verify: async (key, msg, sig) => window.elxCrypto.ed25519Verify(key, msg, sig),
    };
    const forceJs = new URLSearchParams(location.search).get("impl") === "js";
    const subtle = !forceJs && window.crypto && window.crypto.subtle;
    if (!subtle) return { ...js, kind: "js", name: M.impl_js };
    const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));
    const algorithm = { name: "Ed25519" };
    try {
      await subtle.importKey("raw", PROBE, algorithm, false, ["verify"]);
    } catch (_) {
      return { sha256, verify: js.verify, kind: "mixed", name: M.impl_mixed };
    }
    const verify = async (key, msg, sig) => {
      try {
        const imported = await subtle.importKey("raw", key, algorithm, false, ["verify"]);
        return await subtle.verify(algorithm, imported, sig, msg);
      } catch (_) {
        return false;  // a key that is not a curve point verifies nothing
      }
    };
    return { sha256, verify, kind: "webcrypto", name: M.impl_webcrypto };
  }

  async function get(path, as) {
    const url = api + path;
    const response = await fetch(url, { credentials: "omit", cache: "no-store" });
    if (!response.ok) throw new Failure(say("fetch", { url, status: response.status }));
    return as === "text" ? response.text() : response.json();
  }

  function show(step, state, detail) {
    const item = document.getElementById("step-" + step);
    item.dataset.state = state;
    item.querySelector(".mark").textContent = MARKS[state];
    item.querySelector(".state").textContent = M["state_" + state] || "";
    item.querySelector(".detail").textContent = detail || "";
  }

  // The checks, each given what it needs; each returns [value, detail] or throws.
  function checks(c) {
    const once = {};
    const cached = (key, make) => (once[key] = once[key] || make());
    const note = () => cached("note", () => get("/checkpoint", "text"));
    const entryJson = (i) => cached("entry" + i, () => get("/entries/" + i));
    const bytesOf = async (i) => T.b64decode((await entryJson(i)).entry, "entry");
    const openNote = async () => {
      try { return T.parseNote(await note()); } catch (e) { throw wrap(e, "bad_note"); }
    };
    return {
      key: [[], async () => {
        let key;
        try { key = await T.parseVkey(vkeyInput.value.trim(), c.sha256); } catch (e) { throw new Failure(M.bad_vkey); }
        const computed = T.hex(key.keyId);
        if (computed !== key.claimed) throw new Failure(say("bad_key_id", { claimed: key.claimed, computed }));
        return [key, say("key_ok", { name: key.name, id: computed })];
      }],
      signature: [["key"], async ({ key }) => {
        const { text, signatures } = await openNote();
        const labels = { name: key.name, id: T.hex(key.keyId) };
        const mine = signatures.filter((s) => s.name === key.name && T.equal(s.keyId, key.keyId));
        if (mine.length === 0) throw new Failure(say("no_signature", labels));
        const message = new TextEncoder().encode(text);
        for (const s of mine) {
          if (!(await c.verify(key.publicKey, message, s.signature))) throw new Failure(say("bad_signature", labels));
        }
        return [true, say("signature_ok", labels)];
      }],
      checkpoint: [[], async () => {
        let cp;
        try { cp = T.parseCheckpoint((await openNote()).text); } catch (e) { throw wrap(e, "bad_checkpoint"); }
        if (cp.origin !== section.dataset.origin) throw new Failure(say("wrong_origin", { origin: cp.origin, expected: section.dataset.origin }));
        return [cp, say("checkpoint_ok", { origin: cp.origin, size: cp.size, root: cp.rootLine })];
      }],
      entry: [[], async () => {
        let bytes, fields, payload;
        try {
          bytes = await bytesOf(index);
          fields = T.parseEntry(bytes);
          payload = T.b64decode((await entryJson(index)).payload, "payload");
        } catch (e) { throw wrap(e, "bad_entry"); }
        if (fields.index !== index) throw new Failure(say("wrong_index", { found: fields.index, index }));
        return [{ bytes, fields, payload }, say("entry_ok", { n: bytes.length })];
      }],
      leaf: [["entry"], async ({ entry }) => {
        const leaf = await T.leafHash(entry.bytes, c.sha256);
        return [leaf, say("leaf_ok", { hash: T.hex(leaf) })];
      }],
      payload: [["entry"], async ({ entry }) => {
        const computed = T.hex(await c.sha256(entry.payload));
        const claimed = entry.fields.payload_sha256;
        if (computed !== claimed) throw new Failure(say("bad_payload", { computed, claimed }));
        return [true, say("payload_ok", { hash: computed })];
      }],
      inclusion: [["leaf", "checkpoint"], async ({ leaf, checkpoint }) => {
        if (index >= checkpoint.size) throw new Failure(say("not_in_tree", { index, size: checkpoint.size }));
        const body = await get(`/proofs/inclusion?index=${index}&tree_size=${checkpoint.size}`);
        let computed;
        try {
          const proof = body.proof.map((p) => T.b64decode(p, "proof hash"));
          computed = await T.rootFromInclusionProof(leaf, index, checkpoint.size, proof, c.sha256);
        } catch (e) { throw wrap(e, "bad_proof"); }
        const root = checkpoint.rootLine;
        if (!T.equal(computed, checkpoint.rootHash)) throw new Failure(say("wrong_root", { computed: T.b64encode(computed), root }));
        return [true, say("inclusion_ok", { n: body.proof.length, root })];
      }],
      chain: [["entry"], async ({ entry }) => {
        const prev = entry.fields.prev;
        if (index === 0) {
          if (prev !== "0".repeat(64)) throw new Failure(M.bad_genesis);
          return [true, M.genesis_ok];
        }
        const before = index - 1;
        const leaf = T.hex(await T.leafHash(await bytesOf(before), c.sha256));
        if (leaf !== prev) throw new Failure(say("bad_link", { prev, leaf, before }));
        return [true, say("link_ok", { before })];
      }],
      page: [["entry"], async ({ entry }) => {
        for (const shown of document.querySelectorAll("[data-field]")) {
          const field = shown.dataset.field;
          if (shown.dataset.value !== String(entry.fields[field])) {
            throw new Failure(say("page_differs", { field, shown: shown.dataset.value, value: entry.fields[field] }));
          }
        }
        return [true, M.page_ok];
      }],
    };
  }

  function wrap(error, key) {
    if (error instanceof Failure) return error;
    if (error instanceof T.TlogError) return new Failure(say(key, { why: error.message }));
    return new Failure(say(key, { why: String(error) }));
  }

  async function run() {
    button.disabled = true;
    STEPS.forEach((step) => show(step, "pending", ""));
    verdict.dataset.state = "running";
    verdict.textContent = M.running;
    const c = await providers();
    document.getElementById("impl").hidden = false;
    document.getElementById("impl").dataset.impl = c.kind;
    document.getElementById("impl-name").textContent = c.name;
    const table = checks(c);
    const values = {};
    let firstFailure = null;
    for (const step of STEPS) {  // in order: each step's needs come before it
      const [needs, check] = table[step];
      if (needs.some((need) => !(need in values))) {
        show(step, "skipped", M.skipped);
        continue;
      }
      try {
        const [value, detail] = await check(values);
        values[step] = value;
        show(step, "ok", detail);
      } catch (error) {
        show(step, "failed", error instanceof Error ? error.message : String(error));
        firstFailure = firstFailure || step;
      }
    }
    if (firstFailure === null) {
      const cp = values.checkpoint;
      verdict.dataset.state = "ok";
      verdict.textContent = "✓ " + say("ok", { index, origin: cp.origin, size: cp.size });
    } else {
      const label = document.querySelector(`#step-${firstFailure} .label`).textContent;
      verdict.dataset.state = "failed";
      verdict.textContent = "✗ " + say("failed", { step: label });
    }
    button.disabled = false;
  }

  function pinning() {
    const unpin = document.getElementById("unpin");
    const note = document.getElementById("pin-note");
    const storage = (() => { try { return window.localStorage; } catch (_) { return null; } })();
    const pinned = storage && storage.getItem(PIN);
    if (pinned) {
      vkeyInput.value = pinned;
      note.textContent = M.pinned;
      unpin.hidden = false;
    }
    document.getElementById("pin").addEventListener("click", () => {
      if (!storage) return;
      storage.setItem(PIN, vkeyInput.value.trim());
      note.textContent = M.pin_saved;
      unpin.hidden = false;
    });
    unpin.addEventListener("click", () => {
      if (storage) storage.removeItem(PIN);
      vkeyInput.value = section.dataset.vkey;
      note.textContent = M.pin_forgotten;
      unpin.hidden = true;
    });
  }

  pinning();
  document.getElementById("controls").hidden = false;  // without this script they do nothing
  button.addEventListener("click", () => {
    run().catch((error) => {  // a bug, not a verification result: say so instead of hanging
      verdict.dataset.state = "failed";
      verdict.textContent = "✗ " + String(error);
      button.disabled = false;
    });
  });
})();
