/* Back-office behaviour that would otherwise sit in inline handlers, which the
   Content-Security-Policy forbids. */
(function (d) {
  "use strict";
  // <form data-confirm="Delete…?">: ask before sending; no answer, no request.
  d.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !form.hasAttribute("hx-confirm")) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    }
  }, true);
})(document);
