/* Contact centre: the ringing calls refresh themselves every few seconds (fetch + replace), and the knowledge-base
   and directory search forms show their results inline (`partial=1`). Without JavaScript, the « Actualiser » link
   and the plain GET forms do the same. */
(function () {
  "use strict";
  var POLL_MS = 3000;

  function poll(box) {
    var url = box.getAttribute("data-poll-url");
    var last = null;
    function tick() {
      if (document.hidden) { return; }
      // The agent is typing in a form of the fragment or focused on a button: don't pull it from under them.
      if (box.contains(document.activeElement) && document.activeElement !== document.body) { return; }
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var withoutTime = html.replace(/<p class="help">[^<]*<\/p>\s*$/, "");
          if (withoutTime !== last) { box.innerHTML = html; last = withoutTime; }
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
