// Assessor pages: show only the inputs of the chosen valuation method (progressive
// enhancement — without this file every method's inputs show and only the chosen one is used).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("method");
  if (!select) return;
  const show = () => {
    for (const set of document.querySelectorAll("fieldset.method")) {
      set.hidden = set.dataset.method !== select.value;
    }
  };
  select.addEventListener("change", show);
  show();
});
