// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so screen readers and phone users see it first.
  var summary = document.querySelector("[data-autofocus]");
  if (summary) { summary.focus(); summary.scrollIntoView({ block: "start" }); }
  // Ask before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Upper-case the USCC as it is typed.
  document.querySelectorAll("input[name=uscc]").forEach(function (input) {
    input.addEventListener("input", function () { input.value = input.value.toUpperCase().replace(/\s/g, ""); });
  });
});
