/* Guichet — display conditions of procedure forms, in the browser (progressive enhancement).
 *
 * The evaluator below has EXACTLY the semantics of guichet/formdefs/conditions.py (see the README of the
 * formdefs app, "Conditions"); tests/formdefs/test_conditions_js.py runs the same cases through both.
 * The server re-evaluates everything: this file only shows and hides fields while the citizen types.
 *
 * DOM: an element with data-condition (JSON) and data-condition-context (JSON: answers of earlier pages)
 * is hidden (attribute `hidden`) when its condition is false; for a form control the element hidden is its
 * wrapper ([data-formdefs-item], else .field). Live values are read from the controls carrying
 * data-formdefs-field (and data-formdefs-type, -part, -index, -sub); the values of hidden fields count as
 * unanswered for the conditions that follow, as on the server.
 */
(function (root) {
  "use strict";

  var WHITESPACE = /^[ \t\n\r\f\v\u00a0]+|[ \t\n\r\f\v\u00a0]+$/g;
  var NUMBER = /^[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)$/;
  var ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  var ASCII = /^[\x00-\x7f]*$/;
  var TRUE_WORDS = ["true", "oui", "1"];
  var FALSE_WORDS = ["false", "non", "0"];
  var MAX_DEPTH = 20;

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }
  function isList(value) { return Array.isArray(value); }
  function isDict(value) { return value !== null && typeof value === "object" && !Array.isArray(value); }
  function trim(text) { return text.replace(WHITESPACE, ""); }

  function isEmpty(value) {
    if (value === null || value === undefined) { return true; }
    if (typeof value === "string") { return trim(value) === ""; }
    if (isList(value)) { return value.length === 0; }
    if (isDict(value)) {
      return Object.keys(value).every(function (key) { return isEmpty(value[key]); });
    }
    return false;
  }

  function asNumber(value) {
    if (typeof value === "boolean") { return null; }
    if (typeof value === "number") { return value; }
    if (typeof value === "string") {
      var text = trim(value);
      if (NUMBER.test(text)) { return Number(text.replace(",", ".")); }
    }
    return null;
  }

  function asBool(value) {
    if (typeof value === "boolean") { return value; }
    if (typeof value === "number") { return value === 1 ? true : (value === 0 ? false : null); }
    if (typeof value === "string") {
      var text = trim(value);
      if (ASCII.test(text)) { text = text.toLowerCase(); }
      if (TRUE_WORDS.indexOf(text) !== -1) { return true; }
      if (FALSE_WORDS.indexOf(text) !== -1) { return false; }
    }
    return null;
  }

  function scalarEq(answer, expected) {
    if (answer === null || answer === undefined || expected === null || expected === undefined) { return false; }
    if (typeof answer === "object" || typeof expected === "object") { return false; }
    if (typeof answer === "boolean" || typeof expected === "boolean") {
      var left = asBool(answer), right = asBool(expected);
      return left !== null && left === right;
    }
    var a = asNumber(answer), b = asNumber(expected);
    if (a !== null && b !== null) { return a === b; }
    if (typeof answer === "string" && typeof expected === "string") { return trim(answer) === trim(expected); }
    return false;
  }

  function opEq(answer, expected) {
    if (isList(answer)) { return answer.some(function (item) { return scalarEq(item, expected); }); }
    return scalarEq(answer, expected);
  }

  function opIn(answer, expected) {
    if (!isList(expected) || isEmpty(answer)) { return false; }
    var items = isList(answer) ? answer : [answer];
    return items.some(function (item) {
      return expected.some(function (element) { return scalarEq(item, element); });
    });
  }

  function comparable(value) {
    if (isList(value)) { return ["number", value.length]; }
    var number = asNumber(value);
    if (number !== null) { return ["number", number]; }
    if (typeof value === "string" && ISO_DATE.test(trim(value))) { return ["date", trim(value)]; }
    return null;
  }

  function opOrder(answer, expected, op) {
    var left = comparable(answer), right = comparable(expected);
    if (left === null || right === null || left[0] !== right[0]) { return false; }
    var a = left[1], b = right[1];
    if (op === "gt") { return a > b; }
    if (op === "lt") { return a < b; }
    if (op === "gte") { return a >= b; }
    return a <= b;
  }

  function evaluate(condition, answers, depth) {
    depth = depth || 0;
    if (condition === null || condition === undefined) { return true; }
    if (!isDict(condition) || depth > MAX_DEPTH) { return false; }
    if (!isDict(answers)) { answers = {}; }
    if (has(condition, "all")) {
      var all = condition.all;
      return isList(all) && all.every(function (part) { return evaluate(part, answers, depth + 1); });
    }
    if (has(condition, "any")) {
      var any = condition.any;
      return isList(any) && any.some(function (part) { return evaluate(part, answers, depth + 1); });
    }
    if (has(condition, "not")) {
      return isDict(condition.not) && !evaluate(condition.not, answers, depth + 1);
    }
    var field = condition.field, op = condition.op;
    if (typeof field !== "string" || typeof op !== "string") { return false; }
    var answer = has(answers, field) ? answers[field] : null;
    var expected = has(condition, "value") ? condition.value : null;
    switch (op) {
      case "empty": return isEmpty(answer);
      case "not_empty": return !isEmpty(answer);
      case "true": return asBool(answer) === true;
      case "false": return asBool(answer) === false;
      case "eq": return opEq(answer, expected);
      case "ne": return !opEq(answer, expected);
      case "in": return opIn(answer, expected);
      case "not_in": return isList(expected) && !opIn(answer, expected);
      case "gt": case "lt": case "gte": case "lte": return opOrder(answer, expected, op);
      default: return false;
    }
  }

  var api = { evaluate: evaluate, isEmpty: isEmpty };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  root.GuichetConditions = api;

  /* ---- the page ---------------------------------------------------------------------------------------- */
  if (typeof document === "undefined") { return; }

  function controls(scope) { return Array.prototype.slice.call(scope.querySelectorAll("[data-formdefs-field]")); }

  function parse(text) {
    try { return JSON.parse(text || "null"); } catch (error) { return null; }
  }

  function controlValue(control) {
    var type = control.getAttribute("data-formdefs-type");
    if (control.type === "checkbox" || control.type === "radio") {
      if (!control.checked) { return undefined; }
      if (type === "boolean") { return control.value === "oui"; }
      return control.value;
    }
    if (control.type === "file") {
      var existing = parseInt(control.getAttribute("data-formdefs-existing") || "0", 10);
      var names = [];
      for (var i = 0; i < existing; i += 1) { names.push("existing-" + i); }
      for (var j = 0; j < (control.files ? control.files.length : 0); j += 1) { names.push(control.files[j].name); }
      return names;
    }
    return control.value;
  }

  function liveValues(form) {
    var values = {};
    controls(form).forEach(function (control) {
      if (control.closest("[hidden]")) { return; }
      var id = control.getAttribute("data-formdefs-field");
      var type = control.getAttribute("data-formdefs-type");
      var value = controlValue(control);
      var part = control.getAttribute("data-formdefs-part");
      var sub = control.getAttribute("data-formdefs-sub");
      if (part) {
        values[id] = isDict(values[id]) ? values[id] : {};
        values[id][part] = value;
      } else if (sub) {
        var index = control.getAttribute("data-formdefs-index");
        values[id] = isDict(values[id]) ? values[id] : {};
        values[id][index] = isDict(values[id][index]) ? values[id][index] : {};
        if (value !== undefined) { values[id][index][sub] = value; }
      } else if (type === "multichoice" || type === "household_member" || control.type === "checkbox") {
        values[id] = isList(values[id]) ? values[id] : [];
        if (value !== undefined) { values[id].push(value); }
      } else if (control.type === "radio") {
        if (value !== undefined) { values[id] = value; } else if (!has(values, id)) { values[id] = null; }
      } else if (control.type === "file") {
        values[id] = value;
      } else {
        values[id] = value === "" ? null : value;
      }
    });
    Object.keys(values).forEach(function (id) {  // blocks: the list of their items that are not empty
      var value = values[id];
      if (isDict(value) && Object.keys(value).every(function (key) { return /^[0-9]+$/.test(key); }) &&
          Object.keys(value).length) {
        values[id] = Object.keys(value).sort(function (a, b) { return a - b; })
          .map(function (key) { return value[key]; }).filter(function (item) { return !isEmpty(item); });
      }
    });
    return values;
  }

  function target(element) {
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
      return element.closest("[data-formdefs-item]") || element.closest(".field") || element;
    }
    return element;
  }

  function refresh(form) {
    var seen = [];
    var elements = Array.prototype.slice.call(form.querySelectorAll("[data-condition]"));
    elements.forEach(function (element) { target(element).hidden = false; });
    var values = liveValues(form);
    elements.forEach(function (element) {
      var wrapper = target(element);
      if (seen.indexOf(wrapper) !== -1) { return; }
      seen.push(wrapper);
      var answers = Object.assign({}, parse(element.getAttribute("data-condition-context")) || {}, values);
      var visible = evaluate(parse(element.getAttribute("data-condition")), answers);
      wrapper.hidden = !visible;
      if (!visible) {
        controls(wrapper).forEach(function (control) { delete values[control.getAttribute("data-formdefs-field")]; });
      }
    });
  }

  function enhanceBlocks(form) {
    Array.prototype.slice.call(form.querySelectorAll("[data-formdefs-block]")).forEach(function (block) {
      var items = Array.prototype.slice.call(block.querySelectorAll("[data-formdefs-block-item]"));
      var shown = 0;
      items.forEach(function (item, index) {
        var filled = controls(item).some(function (control) {
          return (control.type === "checkbox" || control.type === "radio") ? control.checked : control.value !== "";
        });
        var keep = item.hasAttribute("data-formdefs-keep") || filled || index === 0 ||
          item.querySelector(".field-error");
        item.hidden = !keep;
        if (keep) { shown = index + 1; }
      });
      if (shown >= items.length) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary";
      button.textContent = block.getAttribute("data-add-label") || "Ajouter un élément";
      button.addEventListener("click", function () {
        var next = items.filter(function (item) { return item.hidden; })[0];
        if (next) {
          next.hidden = false;
          var first = next.querySelector("input, select, textarea");
          if (first) { first.focus(); }
        }
        if (!items.some(function (item) { return item.hidden; })) { button.remove(); }
      });
      block.appendChild(button);
    });
  }

  function start() {
    Array.prototype.slice.call(document.querySelectorAll(".formdefs-page")).forEach(function (page) {
      var form = page.closest("form") || page;
      enhanceBlocks(page);
      refresh(form);
      form.addEventListener("input", function () { refresh(form); });
      form.addEventListener("change", function () { refresh(form); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}(typeof window !== "undefined" ? window : globalThis));
