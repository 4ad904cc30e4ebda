// elx console: progressive enhancement only — every page works without this file.
// Pages add their own small scripts under /static; no inline script is allowed (CSP).
"use strict";
window.elx = {
  csrf() {
    const field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  },
};
