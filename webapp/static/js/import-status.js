// The status page of a running Parcours import updates itself in place (no inline script:
// the CSP forbids it). A meta refresh reloaded the whole page every 2 seconds: screen readers
// started again from the top and keyboard focus was lost (RGAA 13.1). Here the same page is
// fetched in the background; while the import runs, only its stage, progress bar and waiting
// notice change (the stage line is a polite role="status" region); once it is over, the page
// content is replaced and the outcome announced in the #import-annonce status region.
(function () {
  "use strict";

  var page = document.getElementById("import-page");
  var live = document.getElementById("import-annonce");
  if (!page || !live || !page.dataset.refreshSeconds) { return; }
  var delay = parseInt(page.dataset.refreshSeconds, 10) * 1000;

  function copyText(fresh, id) {
    var here = document.getElementById(id);
    var there = fresh.querySelector("#" + id);
    if (here && there && here.textContent !== there.textContent) {
      here.textContent = there.textContent;
    }
  }

  function copyProgress(fresh) {
    var here = document.getElementById("progression");
    var there = fresh.querySelector("#progression");
    if (!here || !there) { return; }
    here.setAttribute("aria-valuenow", there.getAttribute("aria-valuenow"));
    var bar = here.querySelector(".progress-bar");
    var freshBar = there.querySelector(".progress-bar");
    if (bar && freshBar) {
      bar.className = freshBar.className;
      bar.textContent = freshBar.textContent;
    }
  }

  function copyNotice(fresh) {
    var here = document.getElementById("attente");
    var there = fresh.querySelector("#attente");
    if (here && there) {
      if (here.textContent !== there.textContent) { here.replaceWith(there); }
    } else if (here) {
      here.remove();
    } else if (there) {
      var card = page.querySelector(".card");
      if (card) { card.after(there); }
    }
  }

  function update(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("import-page");
    if (!fresh) { return false; }  // signed out meanwhile: the login page came back
    if (fresh.dataset.refreshSeconds) {
      copyText(fresh, "etape");
      copyProgress(fresh);
      copyNotice(fresh);
      return true;
    }
    // Over: the final page replaces this one and its outcome is announced.
    page.replaceWith(fresh);
    page = fresh;
    document.title = doc.title;
    var status = fresh.querySelector("#statut-import");
    live.textContent = "Fin de l'import : " + (status ? status.textContent.trim() : "") + ".";
    return false;
  }

  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        if (update(html)) { window.setTimeout(poll, delay); }
      })
      .catch(function () { window.setTimeout(poll, delay * 3); });  // network hiccup: later
  }

  window.setTimeout(poll, delay);
})();
