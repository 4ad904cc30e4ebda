"""The ledger explorer in real Chromium (issue 8 §6): an entry verified in the browser — with
WebCrypto, and with elx's own JavaScript SHA-256/SHA-512/Ed25519 where WebCrypto is missing —
every step ✓; a tampered entry, proof or signature (altered in flight by ``page.route``) fails
at the right step; and the JavaScript crypto agrees with RFC 8032's test vectors and with
WebCrypto on random inputs."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ledger.note_keys import Signer
from tests.api.world import build_world
from tests.web.browser import shoot, unlabelled_inputs
from tests.web.ledger_world import appended_entries, ledger_entries

STEPS = ["key", "signature", "checkpoint", "entry", "leaf", "payload", "inclusion", "chain",
         "page"]


@pytest.fixture
def made(live_server: Any) -> dict[str, Any]:
    """Real entries: an asset and its versions, registered through the API."""
    world = build_world(live_server.app)
    return ledger_entries(world, versions=4)  # entries 0..4: a tree of 5, not a perfect one


@pytest.fixture
def appended(live_server: Any) -> None:
    """Entries appended straight to the ledger: quicker where what made them does not matter."""
    appended_entries(live_server.app, 6)


def verify(page: Any) -> dict[str, str]:
    """Click #verify and wait for the verdict; the state of every step."""
    page.click("#verify")
    page.wait_for_selector('#verdict[data-state="ok"], #verdict[data-state="failed"]',
                           state="attached")
    return {step: page.get_attribute(f"#step-{step}", "data-state") for step in STEPS}


def all_ok() -> dict[str, str]:
    return dict.fromkeys(STEPS, "ok")


def test_explorer_then_verify_an_entry_with_webcrypto_and_with_javascript(
        live_server: Any, browser_page: Any, made: dict[str, Any]) -> None:
    page = browser_page
    page.goto(live_server.url + "/ledger")
    assert page.inner_text("#size") == "5"
    assert unlabelled_inputs(page) == []
    shoot(page, "ledger-explorer")
    page.fill("#q", str(made["indexes"][2]))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/ledger/entries/{made['indexes'][2]}")
    assert unlabelled_inputs(page) == []

    assert verify(page) == all_ok()
    assert page.get_attribute("#impl", "data-impl") == "webcrypto"
    assert page.get_attribute("#verdict", "data-state") == "ok"
    assert "verified" in page.inner_text("#verdict")
    assert "✓" in page.inner_text("#step-inclusion")
    shoot(page, "ledger-entry-verified")

    page.goto(page.url + "?impl=js")  # the page flag forces elx's own implementations
    assert verify(page) == all_ok()
    assert page.get_attribute("#impl", "data-impl") == "js"

    # A browser without WebCrypto (e.g. plain http on another host): crypto.subtle is missing.
    page.context.add_init_script("delete Crypto.prototype.subtle;")
    page.goto(live_server.url + "/ledger/entries/0")
    assert page.evaluate("window.crypto.subtle === undefined")
    assert verify(page) == all_ok()
    assert page.get_attribute("#impl", "data-impl") == "js"
    assert "JavaScript" in page.inner_text("#impl")


def test_a_pinned_key_decides(live_server: Any, browser_page: Any, appended: None) -> None:
    page = browser_page
    page.goto(live_server.url + "/ledger/entries/1")
    other = Signer.generate("test.elx.example/ledger").vkey  # same name, another key
    page.fill("#vkey", other)
    page.click("#pin")
    page.reload()  # the pin survives in this browser
    assert page.input_value("#vkey") == other
    states = verify(page)
    assert states["key"] == "ok" and states["signature"] == "failed"
    assert "no signature by the pinned key" in page.inner_text("#step-signature")
    assert page.get_attribute("#verdict", "data-state") == "failed"
    assert "verified" not in page.inner_text("#verdict")

    page.fill("#vkey", other[:-4] + "AAA=")  # the key ID no longer matches the key
    assert verify(page)["key"] == "failed"
    page.click("#unpin")  # back to the key the page embeds
    assert verify(page) == all_ok()


def _flip_b64(text: str, at: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _tamper(page: Any, pattern: str, change: Any) -> None:
    def handle(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=change(response.text()))

    page.route(pattern, handle)


def _entry(body: str) -> str:
    data = json.loads(body)
    raw = base64.b64decode(data["entry"])
    at = raw.index(b'"ts":"') + len('"ts":"2026-01-01T00:00:00.00000')  # a microsecond digit
    raw = raw[:at] + (b"1" if raw[at:at + 1] != b"1" else b"2") + raw[at + 1:]
    return json.dumps({**data, "entry": base64.b64encode(raw).decode()})


def _proof(body: str) -> str:
    data = json.loads(body)
    return json.dumps({**data, "proof": [_flip_b64(data["proof"][0], 7), *data["proof"][1:]]})


def _signature(note: str) -> str:
    text, lines = note.split("\n\n")
    name, blob = lines.rstrip("\n").rsplit(" ", 1)
    return f"{text}\n\n{name} {_flip_b64(blob, 20)}\n"  # a byte of the signature, not the ID


TAMPERING = [  # what is altered in flight → the steps that must fail
    ("**/api/v1/ledger/entries/2", _entry, {"inclusion", "page"}),
    ("**/api/v1/ledger/proofs/inclusion*", _proof, {"inclusion"}),
    ("**/api/v1/ledger/checkpoint", _signature, {"signature"}),
]


def test_tampering_fails_at_the_right_step(live_server: Any, browser_page: Any,
                                           appended: None) -> None:
    page = browser_page
    for impl in ("", "?impl=js"):
        for pattern, change, failing in TAMPERING:
            _tamper(page, pattern, change)
            page.goto(live_server.url + "/ledger/entries/2" + impl)
            states = verify(page)
            assert {step for step, state in states.items() if state != "ok"} == failing, \
                (pattern, impl, states)
            assert all(states[step] == "failed" for step in failing)
            assert page.get_attribute("#verdict", "data-state") == "failed"
            assert "✗" in page.inner_text(f"#step-{sorted(failing)[0]}")
            page.unroute(pattern)
        page.goto(live_server.url + "/ledger/entries/2" + impl)  # untouched, it verifies
        assert verify(page) == all_ok()


# RFC 8032 §7.1 test vectors (public key, message, signature), hex; the last one's message is
# SHA-512("abc"), RFC 8032's "TEST SHA(abc)".
RFC8032 = {
    "TEST 1": ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
               "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33"
               "bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    "TEST 2": ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
               "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e159"
               "96e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    "TEST 3": ("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
               "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f"
               "290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    "TEST SHA(abc)": (
        "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c2"
        "3a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7"
        "c66431e0303dca179c138ac17ad9bef1177331a704"),
}

KNOWN_ANSWERS = """([vectors]) => {
  const bytes = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const abc = new TextEncoder().encode("abc");
  const out = {sha256_abc: hex(elxCrypto.sha256(abc)), sha512_abc: hex(elxCrypto.sha512(abc))};
  for (const [name, [pk, msg, sig]] of Object.entries(vectors)) {
    const flipped = bytes(sig); flipped[10] ^= 0x20;
    const longer = Uint8Array.from([...bytes(msg), 0]);
    out[name] = [elxCrypto.ed25519Verify(bytes(pk), bytes(msg), bytes(sig)),
                 elxCrypto.ed25519Verify(bytes(pk), bytes(msg), flipped),
                 elxCrypto.ed25519Verify(bytes(pk), longer, bytes(sig))];
  }
  return out;
}"""

AGAINST_WEBCRYPTO = """async () => {
  const subtle = crypto.subtle;
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));
  const differ = [];
  for (const n of [0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 1000, 5000]) {
    for (let round = 0; round < 3; round++) {
      const data = random(n);
      for (const [name, ours] of [["SHA-256", elxCrypto.sha256], ["SHA-512", elxCrypto.sha512]]) {
        const theirs = new Uint8Array(await subtle.digest(name, data));
        if (!same(ours(data), theirs)) differ.push([name, n]);
      }
    }
  }
  let signatures = 0;
  for (let round = 0; round < 12; round++) {
    const pair = await subtle.generateKey({name: "Ed25519"}, true, ["sign", "verify"]);
    const pk = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    const msg = random(round * 37);
    const sig = new Uint8Array(await subtle.sign({name: "Ed25519"}, pair.privateKey, msg));
    const bad = sig.slice(); bad[round % 64] ^= 1 << (round % 8);
    for (const [s, expected] of [[sig, true], [bad, false]]) {
      const theirs = await subtle.verify({name: "Ed25519"}, pair.publicKey, s, msg);
      const ours = elxCrypto.ed25519Verify(pk, msg, s);
      if (ours !== theirs || ours !== expected) differ.push(["ed25519", round, expected]);
      signatures++;
    }
  }
  return {differ, signatures};
}"""


def test_javascript_crypto_against_rfc_vectors_and_webcrypto(
        live_server: Any, browser_page: Any, appended: None) -> None:
    page = browser_page
    page.goto(live_server.url + "/ledger/entries/0")  # the page that loads crypto/*.js
    page.wait_for_function("() => window.elxCrypto && window.elxCrypto.ed25519Verify")
    answers = page.evaluate(KNOWN_ANSWERS, [RFC8032])  # [as given, signature / message altered]
    assert answers.pop("sha256_abc") == (  # FIPS 180-4 example, SHA256("abc")
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert answers.pop("sha512_abc") == RFC8032["TEST SHA(abc)"][1]
    assert answers == {name: [True, False, False] for name in RFC8032}
    assert page.evaluate(AGAINST_WEBCRYPTO) == {"differ": [], "signatures": 24}


WALK = """async ([cases]) => {
  const bytes = (hex) => Uint8Array.from(hex.match(/../g) || [], (h) => parseInt(h, 16));
  const sha256 = async (data) => elxCrypto.sha256(data);
  const wrong = [];
  for (const [leaf, index, size, proof, root] of cases) {
    const path = proof.map(bytes);
    const got = await elxTlog.rootFromInclusionProof(bytes(leaf), index, size, path, sha256);
    if (elxTlog.hex(got) !== root) wrong.push([index, size]);
    for (const bad of [[...path, bytes(root)], path.slice(1)]) {  // one hash too many, too few
      if (bad.length === path.length) continue;
      try {
        await elxTlog.rootFromInclusionProof(bytes(leaf), index, size, bad, sha256);
        wrong.push([index, size, bad.length]);
      } catch (e) {
        if (!(e instanceof elxTlog.TlogError)) throw e;
      }
    }
  }
  return wrong;
}"""


def test_javascript_inclusion_walk_matches_the_python_ledger(
        live_server: Any, browser_page: Any, appended: None) -> None:
    """RFC 9162 §2.1.3.2 in tlog.js against ledger/merkle.py: every leaf of trees of 1..17."""
    from ledger.merkle import inclusion_proof, leaf_hash, root_hash

    leaves = [f"leaf {n}".encode() for n in range(17)]
    cases = [(leaf_hash(leaves[i]).hex(), i, size,
              [h.hex() for h in inclusion_proof(leaves[:size], i)], root_hash(leaves[:size]).hex())
             for size in range(1, 18) for i in range(size)]
    page = browser_page
    page.goto(live_server.url + "/ledger/entries/0")
    page.wait_for_function("() => window.elxTlog && window.elxCrypto")
    assert page.evaluate(WALK, [cases]) == []
