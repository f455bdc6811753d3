/* Pathways: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

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
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
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
