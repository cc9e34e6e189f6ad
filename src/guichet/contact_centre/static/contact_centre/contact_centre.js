/* Contact centre: the ringing calls refresh themselves every few seconds (fetch + replace), and the knowledge-base
   and directory search forms show their results inline (`partial=1`). Without JavaScript, the « Actualiser » link
   and the plain GET forms do the same. */
(function () {
  "use strict";
  var POLL_MS = 3000;

  // The fragment's content without its « Mis à jour à … » line (hidden from screen readers, so that the live
  // region does not speak every 3 s) nor its CSRF tokens (masked anew at each rendering), as the browser
  // serialises it.
  function withoutTime(element) {
    var copy = element.cloneNode(true);
    copy.querySelectorAll("[data-refreshed], input[name='csrfmiddlewaretoken']").forEach(function (node) {
      node.remove();
    });
    return copy.innerHTML.trim();
  }

  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    function tick() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var fresh = document.createElement("div");
          fresh.innerHTML = html;
          if (withoutTime(fresh) === withoutTime(box)) {
            // Nothing new: only the time changes, the buttons stay where the agent's pointer and focus are.
            var line = box.querySelector("[data-refreshed]");
            var freshLine = fresh.querySelector("[data-refreshed]");
            if (line && freshLine) { line.textContent = freshLine.textContent; }
            return;
          }
          // A call came or went. Don't pull a button from under the agent's keyboard focus: wait for the next tick.
          if (box.contains(document.activeElement)) { return; }
          box.innerHTML = html;
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }
    window.setInterval(tick, POLL_MS);
  }

  function inlineSearch(form) {
    var target = document.getElementById(form.getAttribute("data-inline-search"));
    if (!target) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = new URLSearchParams(new FormData(form));
      params.set("partial", "1");
      fetch(form.action + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(); })
        .then(function (html) { target.innerHTML = html; })
        .catch(function () { form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("ringing-calls");
    if (box && window.fetch) { poll(box); }
    if (window.fetch && window.URLSearchParams) {
      document.querySelectorAll("form[data-inline-search]").forEach(inlineSearch);
    }
  });
})();
