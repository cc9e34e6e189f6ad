/* Guichet — answer templates (progressive enhancement).
 *
 * Without JavaScript, « Utiliser ce modèle » reloads the page with the template's text in the answer, and a
 * button that closes a request sends the chosen template's text when its answer is left empty. With it,
 * choosing a template in a select[data-answer-template] fills the textarea[data-answer-text] of the same form
 * (or of the page's answer form) at once; a text the agent already typed is replaced only once they confirm.
 * The texts, already filled in for the request, come from the JSON block #answer-template-bodies.
 */
(function () {
  "use strict";

  var source = document.getElementById("answer-template-bodies");
  if (!source) { return; }
  var bodies = JSON.parse(source.textContent);
  var filled = new WeakMap();

  function targetOf(select) {
    var form = select.form;
    var target = form && form.querySelector("textarea[data-answer-text]");
    if (target) { return target; }
    var section = select.closest("section") || document;
    return section.querySelector("textarea[data-answer-text]");
  }

  document.querySelectorAll("select[data-answer-template]").forEach(function (select) {
    select.addEventListener("change", function () {
      var text = bodies[select.value];
      var target = targetOf(select);
      if (text === undefined || !target) { return; }
      var typed = target.value.trim() !== "" && target.value !== filled.get(target);
      if (typed && !window.confirm(select.getAttribute("data-confirm") || "Remplacer le texte déjà écrit par celui du modèle ?")) {
        return;
      }
      target.value = text;
      filled.set(target, text);
      target.focus();
    });
  });
})();
