// Session helpers, loaded on every signed-in page (no inline script: the CSP forbids it).
// 1. Before the idle timeout, a warning lets the user stay signed in (RGAA 13.1).
// 2. A form kept across a sign-in (session expired, password confirmation) is filled again.
(function () {
  "use strict";

  function plural(n, word) { return n + " " + word + (n > 1 ? "s" : ""); }

  function idleWarning() {
    var box = document.getElementById("session-warning");
    if (!box) { return; }
    var idle = parseInt(box.dataset.idleSeconds, 10);
    var warn = Math.min(parseInt(box.dataset.warnSeconds, 10), Math.floor(idle / 2));
    var countdown = box.querySelector("[data-countdown]");
    var text = document.getElementById("session-warning-text");
    var form = box.querySelector("form");
    var deadline, warnTimer, tickTimer;

    function tick() {
      var left = Math.round((deadline - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(tickTimer);
        text.textContent = "Votre session s'est fermée après une période d'inactivité. ";
        var link = document.createElement("a");
        link.href = box.dataset.loginUrl;
        link.textContent = "Se reconnecter";
        text.appendChild(link);
        form.classList.add("d-none");
        return;
      }
      countdown.textContent = left >= 60 ? plural(Math.ceil(left / 60), "minute")
                                         : plural(left, "seconde");
    }

    function show() {
      box.classList.remove("d-none");
      tick();
      tickTimer = setInterval(tick, 1000);
      box.querySelector("[data-extend]").focus();
    }

    function arm() {
      clearTimeout(warnTimer);
      clearInterval(tickTimer);
      box.classList.add("d-none");
      deadline = Date.now() + idle * 1000;
      warnTimer = setTimeout(show, (idle - warn) * 1000);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(box.dataset.extendUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (response.ok) { arm(); } else { form.submit(); }
      }).catch(function () { form.submit(); });
    });
    arm();
  }

  function restoreKeptForm() {
    var holder = document.getElementById("kept-form");
    if (!holder) { return; }
    var fields;
    try { fields = JSON.parse(holder.textContent); } catch (e) { return; }
    var restored = 0;
    var seen = {};
    fields.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      var elements = document.querySelectorAll("main form [name='" + CSS.escape(name) + "']");
      elements.forEach(function (el) {
        if (el.type === "hidden" || el.type === "file" || el.type === "password") { return; }
        if (el.type === "checkbox" || el.type === "radio") {
          if (!seen[name]) { el.checked = false; }
          if (el.value === value) { el.checked = true; restored++; }
        } else if (el.tagName === "SELECT" && el.multiple) {
          if (!seen[name]) { Array.prototype.forEach.call(el.options, function (o) { o.selected = false; }); }
          Array.prototype.forEach.call(el.options, function (o) {
            if (o.value === value) { o.selected = true; restored++; }
          });
        } else {
          el.value = value;
          restored++;
        }
      });
      seen[name] = true;
    });
    if (!restored) { return; }
    var note = document.createElement("div");
    note.className = "alert alert-info";
    note.setAttribute("role", "status");
    note.textContent = "Votre saisie a été rétablie : vérifiez-la, puis enregistrez.";
    var main = document.querySelector("main");
    main.insertBefore(note, main.firstChild);
  }

  document.addEventListener("DOMContentLoaded", function () {
    idleWarning();
    restoreKeptForm();
  });
})();
