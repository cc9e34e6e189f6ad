/* Guichet — knowledge base search as you type (progressive enhancement).
 *
 * Without JavaScript, the search form[data-knowledge-live] is a plain GET form to knowledge:search. With it,
 * typing (two characters or more, 250 ms after the last key) fetches the same URL with &partial=1 and puts the
 * results fragment (knowledge/_results.html) into the element whose id the form's data-knowledge-live names
 * (an aria-live region, so screen readers hear the count). The contact centre's call screen may reuse this
 * file with its own form and region.
 */
(function () {
  "use strict";

  document.querySelectorAll("form[data-knowledge-live]").forEach(function (form) {
    var region = document.getElementById(form.getAttribute("data-knowledge-live"));
    var input = form.querySelector("input[name=q]");
    if (!region || !input || !window.fetch) { return; }
    var original = region.innerHTML;
    var timer = null;
    var latest = 0;

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = input.value.trim();
        if (text.length < 2) { region.innerHTML = original; return; }
        var url = new URL(form.action, window.location.href);
        url.searchParams.set("q", text);
        url.searchParams.set("partial", "1");
        var call = ++latest;
        fetch(url.toString(), {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) { if (html !== null && call === latest) { region.innerHTML = html; } })
          .catch(function () { /* the form still submits normally */ });
      }, 250);
    });
  });
}());
