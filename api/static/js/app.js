/* Pathways: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // A busy server answers 503 with Retry-After (seconds): wait that long, then retry.
  var retryAfterMs = function (response, fallbackMs) {
    var seconds = parseInt(response.headers.get("Retry-After") || "", 10);
    return (isNaN(seconds) ? fallbackMs / 1000 : Math.min(Math.max(seconds, 1), 60)) * 1000;
  };
  var RESEND_KEY = "pathways-resend";
  var RESEND_FOR_MS = 120000;
  var RESEND_TRIES = 10;

  // The busy page (503): after Retry-After, send the answer remembered below again
  // (a form posted to the same place with the same fields), or reload a page.
  var busy = document.querySelector("[data-retry-after]");
  var pending = null;
  try { pending = JSON.parse(sessionStorage.getItem(RESEND_KEY) || "null"); } catch (e) { pending = null; }
  if (busy) {
    var seconds = Math.min(Math.max(parseInt(busy.getAttribute("data-retry-after"), 10) || 1, 1), 60);
    if (pending && Date.now() - pending.at < RESEND_FOR_MS && pending.tries < RESEND_TRIES) {
      pending.tries += 1;
      try { sessionStorage.setItem(RESEND_KEY, JSON.stringify(pending)); } catch (e) { /* no storage */ }
      busy.textContent = "Your answer is kept: it is sent again in " + seconds + " s.";
      setTimeout(function () {
        var again = document.createElement("form");
        again.method = "post";
        again.action = pending.action;
        again.hidden = true;
        pending.fields.forEach(function (f) {
          var input = document.createElement("input");
          input.type = "hidden";
          input.name = f[0];
          input.value = f[1];
          again.appendChild(input);
        });
        document.body.appendChild(again);
        again.submit();
      }, seconds * 1000);
    } else if (busy.getAttribute("data-method") === "GET") {
      busy.textContent = "Trying again in " + seconds + " s.";
      setTimeout(function () { window.location.reload(); }, seconds * 1000);
    }
  } else if (pending) {
    try { sessionStorage.removeItem(RESEND_KEY); } catch (e) { /* no storage */ }  // it arrived
  }

  // Move focus to the answer feedback after a submission so screen readers read it.
  var auto = document.querySelector("[data-autofocus]");
  if (auto) { auto.focus(); }

  // "Show a hint": reveal the next hint in place instead of reloading the page.
  var hintButton = document.getElementById("hint-button");
  if (hintButton) {
    hintButton.addEventListener("click", function (event) {
      var total = parseInt(hintButton.getAttribute("data-hints"), 10);
      var shown = parseInt(hintButton.getAttribute("data-shown"), 10) + 1;
      var hint = document.getElementById("hint-" + shown);
      if (!hint) { return; }
      event.preventDefault();
      hint.hidden = false;
      hint.focus();
      hintButton.setAttribute("data-shown", String(shown));
      var field = document.getElementById("hints-shown-field");
      if (field) { field.value = String(shown); }
      if (shown >= total) {
        var done = document.createElement("p");
        done.className = "muted small";
        done.textContent = "That's all the hints for this question.";
        hintButton.replaceWith(done);
      } else {
        hintButton.textContent = "Show a hint (" + (shown + 1) + " of " + total + ")";
        hintButton.href = hintButton.href.replace(/hints=\d+/, "hints=" + (shown + 1));
      }
    });
  }

  // Enter on a multiple-choice option submits the answer, as it does in a text box.
  var form = document.getElementById("answer-form");
  if (form) {
    form.addEventListener("keydown", function (event) {
      var t = event.target;
      if (event.key === "Enter" && t && t.type === "radio") {
        event.preventDefault();
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
    // One submission per answer: a double press must not look like two answers.
    form.addEventListener("submit", function () {
      var b = form.querySelector("button[type=submit]");
      if (b) { setTimeout(function () { b.disabled = true; }, 0); }
    });
    // A busy server (503 + Retry-After) or a lost reply must cost a wait, not the
    // answer: the form is remembered for this tab, and the busy page (below) sends it
    // again after Retry-After - the same fields, so the same idempotency key, which
    // the server stores at most once.
    form.addEventListener("submit", function () {
      try {
        var fields = [];
        new FormData(form).forEach(function (value, key) { fields.push([key, String(value)]); });
        sessionStorage.setItem(RESEND_KEY, JSON.stringify(
          { action: form.action, fields: fields, tries: 0, at: Date.now() }));
      } catch (e) { /* no storage: the student presses the button again */ }
    });
  }

  // Refit progress: poll the job's status and update the bar; reload when it ends.
  var job = document.querySelector("[data-fit-poll]");
  if (job) {
    var url = job.getAttribute("data-fit-poll");
    var bar = document.getElementById("fit-bar");
    var fill = bar ? bar.querySelector(".fill") : null;
    var label = document.getElementById("fit-status");
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (r.status === 503) { setTimeout(tick, retryAfterMs(r, 2000)); return null; }
          return r.ok ? r.json() : Promise.reject(r.status);
        })
        .then(function (data) {
          if (!data) { return; }
          var pct = Math.round((data.progress || 0) * 100);
          if (fill) { fill.style.width = pct + "%"; }
          if (bar) {
            bar.setAttribute("aria-valuenow", String(pct));
            bar.setAttribute("aria-valuetext", pct + "% (" + data.status + ")");
          }
          if (label) { label.textContent = data.status_text; }
          if (data.finished) { window.location.reload(); } else { setTimeout(tick, 700); }
        })
        .catch(function () { setTimeout(tick, 2000); });
    };
    setTimeout(tick, 500);
  }
})();

/* Item editor: show only the answer fields of the chosen type. */
(function () {
  "use strict";
  var select = document.querySelector("[data-type-switch]");
  if (!select) { return; }
  var sets = document.querySelectorAll("[data-answer-type]");
  var sync = function () {
    for (var i = 0; i < sets.length; i++) {
      sets[i].hidden = sets[i].getAttribute("data-answer-type") !== select.value;
    }
  };
  select.addEventListener("change", sync);
  sync();
})();
