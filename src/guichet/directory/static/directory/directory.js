/* The directory's search shows its results as you type (the form works without JavaScript: it submits). */
(function () {
  "use strict";
  var form = document.getElementById("directory-search");
  var results = document.getElementById("directory-results");
  if (!form || !results || !window.fetch) { return; }
  var input = form.querySelector("input[name=q]");
  var timer = null;
  var last = input.value;
  function search() {
    var query = input.value.trim();
    if (query === last) { return; }
    last = query;
    if (query.length < 2) { return; }
    var url = form.dataset.partialUrl + "?partial=1&q=" + encodeURIComponent(query);
    fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && input.value.trim() === query) {
          results.innerHTML = html;
          var pagination = document.getElementById("directory-pagination");
          if (pagination) { pagination.hidden = true; }
        }
      })
      .catch(function () { /* the button still submits the form */ });
  }
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 250);
  });
}());
