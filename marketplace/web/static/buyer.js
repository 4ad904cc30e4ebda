// elx buyer console: progressive enhancement only — every form also works without this file.
// * choosing a plan or purpose shows its terms at once;
// * the sandbox form runs the query with fetch and swaps in the answer (Ctrl+Enter runs it);
// * the one-time API key can be copied with a button.
"use strict";
(function () {
  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  function autoSubmitPlan() {
    const form = document.getElementById("choose-plan");
    if (!form) return;
    for (const id of ["plan", "purpose"]) {
      const field = document.getElementById(id);
      if (field && field.tagName === "SELECT") {
        field.addEventListener("change", () => form.requestSubmit());
      }
    }
  }

  function swap(doc, id) {
    const fresh = doc.getElementById(id);
    const old = document.getElementById(id);
    if (!fresh || !old) return false;
    old.replaceWith(document.importNode(fresh, true));
    return true;
  }

  async function runQuery(form, button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRF-Token": window.elx.csrf() },
      });
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!swap(doc, "sandbox-output")) { form.submit(); return; }
      swap(doc, "budget");
      const heading = document.getElementById("output-h");
      if (heading) { heading.tabIndex = -1; heading.focus(); }
    } catch (_err) {
      form.submit();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  function sandbox() {
    const form = document.getElementById("sandbox-form");
    const sql = document.getElementById("sql");
    const button = document.getElementById("run-query");
    if (!form || !sql || !button) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      runQuery(form, button);
    });
    sql.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
  }

  function copyKey() {
    const button = document.getElementById("copy-key");
    const value = document.getElementById("new-key-value");
    if (!button || !value) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      value.select();
      if (navigator.clipboard) navigator.clipboard.writeText(value.value).catch(() => {});
    });
  }

  function payOnce() {
    const form = document.getElementById("pay-form");
    const button = document.getElementById("pay");
    if (!form || !button) return;
    form.addEventListener("submit", () => {
      setTimeout(() => { button.disabled = true; }, 0);
    });
  }

  onReady(() => { autoSubmitPlan(); sandbox(); copyKey(); payOnce(); });
})();
