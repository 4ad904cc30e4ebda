// Merchant console enhancements (issue 8 §2); every page works without this file.
// * Upload form: send the file with XMLHttpRequest so the <progress> shows the upload, the
//   CSRF token travels as the X-CSRF-Token header and the server streams the body.
// * Job page: poll the console's JSON status and update the progress bar until the job ends.
// * Listing form: choosing another element reloads the form with that element's versions.
"use strict";
(function () {
  function uploadForm(form) {
    const bar = document.getElementById("upload-progress");
    const status = document.getElementById("upload-status");
    const errors = document.getElementById("upload-errors");
    const button = document.getElementById("upload-submit");
    form.addEventListener("submit", (event) => {
      const input = document.getElementById("upload-file");
      if (!input.files.length) return;  // let the browser say the file is required
      event.preventDefault();
      const params = new URLSearchParams();
      for (const name of ["encoding", "format"]) {
        const value = form.elements[name].value;
        if (value) params.set(name, value);
      }
      const body = new FormData();
      body.append("file", input.files[0], input.files[0].name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action + (params.toString() ? "?" + params : ""));
      xhr.setRequestHeader("X-CSRF-Token", window.elx.csrf());
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      errors.textContent = "";
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.upload.addEventListener("load", () => {
        bar.value = 100;
        status.textContent = form.dataset.processing || "";
      });
      xhr.addEventListener("load", () => {
        button.disabled = false;
        if (xhr.status < 400) {
          bar.value = 100;
          window.location.assign(xhr.responseURL || window.location.href);
          return;
        }
        const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        const found = doc.getElementById("upload-errors");
        errors.replaceChildren(...(found ? found.childNodes : []));
        status.textContent = "";
      });
      xhr.addEventListener("error", () => {
        button.disabled = false;
        status.textContent = form.dataset.failed || "";
      });
      xhr.send(body);
    });
  }

  function jobPage(section) {
    const url = section.dataset.statusUrl;
    const bar = document.getElementById("job-progress");
    const rows = document.getElementById("job-rows");
    const step = document.getElementById("job-step");
    const tick = () => {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
        .then((job) => {
          if (job.percent === null) bar.removeAttribute("value");
          else bar.value = job.percent;
          rows.textContent = job.rows_done.toLocaleString() +
            (job.rows_total ? " / " + job.rows_total.toLocaleString() : "");
          step.textContent = job.current_step || "—";
          if (job.final) window.location.reload();
          else window.setTimeout(tick, 1000);
        })
        .catch(() => window.setTimeout(tick, 3000));
    };
    window.setTimeout(tick, 500);
  }

  function listingForm(select) {
    select.addEventListener("change", () => {
      const target = new URL(select.dataset.reload, window.location.href);
      target.searchParams.set("element", select.value);
      window.location.assign(target);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("upload-form");
    if (form) uploadForm(form);
    const job = document.getElementById("job");
    if (job && job.dataset.final === "false") jobPage(job);
    const element = document.getElementById("listing-element");
    if (element && element.dataset.reload) listingForm(element);
  });
})();
