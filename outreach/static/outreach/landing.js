// A mail scanner fetches links but runs no script: the score is recorded only
// when a real browser posts this form, which it does as soon as the page loads.
(function () {
  var form = document.getElementById("confirm-score");
  if (form) {
    form.submit();
  }
})();
