/* Survey pages: the widget preview follows the branding fields, and copy
   buttons. Everything here is an extra: the pages work without it. */
(function (d) {
  "use strict";

  function previewRoot() {
    var host = d.getElementById("widget-preview");
    if (!host) return null;
    // Browsers without declarative shadow DOM keep the <template> inert.
    var template = host.querySelector("template");
    if (!host.shadowRoot && template) host.attachShadow({ mode: "open" }).appendChild(template.content);
    return host.shadowRoot;
  }

  function livePreview() {
    var root = previewRoot(), form = d.getElementById("survey-form");
    if (!root || !form) return;
    var w = root.querySelector(".w"), page = root.querySelector(".page"), logo = root.querySelector("img");
    function update() {
      var accent = form.elements.accent_color, checked = form.querySelector("input[name=position]:checked");
      if (accent && /^#[0-9a-f]{6}$/i.test(accent.value.trim())) w.style.setProperty("--a", accent.value.trim());
      if (checked) {
        w.classList.toggle("l", checked.value === "bottom-left");
        w.classList.toggle("n", checked.value === "inline");
        page.classList.toggle("inline", checked.value === "inline");
      }
      var url = form.elements.logo_url ? form.elements.logo_url.value.trim() : "";
      logo.hidden = !/^https?:\/\/\S+$/.test(url);
      if (!logo.hidden) logo.src = url;
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    // A form sent back with errors shows what was typed, not what is saved.
    update();
  }

  function selectText(node) {
    var range = d.createRange(), selection = window.getSelection();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyButtons() {
    d.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = d.getElementById(button.dataset.copy), status = d.getElementById(button.dataset.copy + "-status");
      button.hidden = false;
      button.addEventListener("click", function () {
        function done() {
          status.textContent = button.dataset.copied;
          setTimeout(function () { status.textContent = ""; }, 4000);
        }
        function fallback() {
          // No clipboard API (plain http, old browser): select it for Ctrl+C.
          selectText(source);
          try { if (d.execCommand("copy")) done(); } catch (e) {}
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(source.textContent).then(done, fallback);
        } else {
          fallback();
        }
      });
    });
  }

  livePreview();
  copyButtons();
})(document);
