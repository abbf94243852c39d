// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  var DRAFT_PREFIX = "portal-draft:";
  var PENDING = "portal-draft-pending";   // sessionStorage: the draft key of the form just sent
  var RESUME = "portal-draft-resume";     // sessionStorage: a save interrupted by the login page, to finish after it

  function storage(kind) {
    try { var s = window[kind]; s.setItem("portal-probe", "1"); s.removeItem("portal-probe"); return s; }
    catch (e) { return null; }
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  // --- What a form holds, to keep it in the browser until the server has it ------------------------------------
  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled) { return false; }
      if (el.name === "csrfmiddlewaretoken" || el.name === "action" || el.name === "next_url") { return false; }
      return ["hidden", "file", "password", "submit", "button", "reset"].indexOf(el.type) === -1;
    });
  }
  function snapshot(form) {
    var values = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox") { values[el.name + "=" + el.value] = el.checked; }
      else if (el.type === "radio") { if (el.checked) { values[el.name] = el.value; } }
      else { values[el.name] = el.value; }
    });
    return values;
  }
  function restore(form, values) {
    fieldsOf(form).forEach(function (el) {
      if (el.type === "checkbox") {
        var k = el.name + "=" + el.value;
        if (k in values) { el.checked = values[k]; }
      } else if (el.type === "radio") {
        if (el.name in values) { el.checked = values[el.name] === el.value; }
      } else if (el.name in values) { el.value = values[el.name]; }
    });
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function hasChosenFiles(form) {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
  }

  function notice(form, text, cls) {
    var box = document.createElement("div");
    box.className = "draft-notice " + (cls || "");
    box.setAttribute("role", "status");
    box.textContent = text;
    form.parentNode.insertBefore(box, form);
    return box;
  }

  function setUpDraft(form) {
    var key = DRAFT_PREFIX + form.getAttribute("data-draft");
    var initial = snapshot(form);
    form.portalInitial = initial;
    var stored = null;
    try { stored = local && JSON.parse(local.getItem(key) || "null"); } catch (e) { stored = null; }
    var hasErrors = !!document.querySelector(".error-summary");
    if (stored && stored.values && !same(stored.values, initial) && !hasErrors) {
      restore(form, stored.values);
      var resume = session && session.getItem(RESUME) === key;
      if (resume) {
        // A save that met the login page: finish it now that the user is back.
        session.removeItem(RESUME);
        notice(form, form.getAttribute("data-resume-text") || "", "draft-resumed");
        var save = form.querySelector("button[name=action][value=save]");
        if (save) { window.setTimeout(function () { save.click(); }, 50); return; }
      } else {
        var box = notice(form, form.getAttribute("data-restored-text") || "", "draft-restored");
        var discard = document.createElement("button");
        discard.type = "button";
        discard.className = "link-button";
        discard.textContent = form.getAttribute("data-discard-text") || "";
        discard.addEventListener("click", function () {
          if (local) { local.removeItem(key); }
          restore(form, initial);
          box.remove();
        });
        box.appendChild(document.createTextNode(" "));
        box.appendChild(discard);
      }
    } else if (stored && (same(stored.values, initial) || hasErrors)) {
      // The server already shows it (or shows it back with errors): nothing to restore.
      if (!hasErrors && local) { local.removeItem(key); }
    }
    function keep() {
      if (!local) { return; }
      var now = snapshot(form);
      if (same(now, initial)) { local.removeItem(key); }
      else { local.setItem(key, JSON.stringify({ values: now, at: Date.now() })); }
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () { keep(); if (session) { session.setItem(PENDING, key); } });
    form.portalDirty = function () { return !same(snapshot(form), initial) || hasChosenFiles(form); };
  }

  // After a page that followed a form's submission: a clean page means the server saved it, the login page means
  // the session had ended (keep the draft, finish the save after login), an error summary means it was refused.
  function settlePending() {
    if (!session) { return; }
    var key = session.getItem(PENDING);
    if (!key) { return; }
    session.removeItem(PENDING);
    var loginPage = !!document.querySelector("form input[name=login]") && !!document.querySelector("form input[name=password]");
    if (loginPage) { session.setItem(RESUME, key); return; }
    // Refused: the server shows the input back beside its errors; the browser keeps it until a save goes through.
    if (document.querySelector(".error-summary")) { return; }
    if (local) { local.removeItem(key); }
  }

  // --- Leaving a form with unsaved changes saves them first --------------------------------------------------
  function guardLeaving(form) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
      if (link.target === "_blank" || link.hasAttribute("download") || link.getAttribute("href").charAt(0) === "#") { return; }
      if (link.origin !== window.location.origin || !form.portalDirty()) { return; }
      if (form.hasAttribute("data-leave-ask")) {
        // A form whose sending is not a mere save (registering the organisation): ask; the input stays kept.
        if (!window.confirm(form.getAttribute("data-leave-ask"))) { event.preventDefault(); }
        return;
      }
      event.preventDefault();
      var next = form.querySelector("input[name=next_url]");
      if (!next) {
        next = document.createElement("input");
        next.type = "hidden"; next.name = "next_url";
        form.appendChild(next);
      }
      next.value = link.pathname + link.search + link.hash;
      var save = form.querySelector("button[name=action][value=save]") || form.querySelector("button[type=submit]");
      if (save) { save.click(); } else { form.requestSubmit(); }
    });
  }

  // --- The session: warn before it ends, extend it on request -------------------------------------------------
  function sessionTimer(form) {
    var age = parseInt(form.getAttribute("data-session-age"), 10);
    var url = form.getAttribute("data-keepalive");
    if (!age || !url) { return; }
    var lead = Math.min(300, Math.floor(age / 2));
    var warnTimer, endTimer, box;
    function csrf() { var i = document.querySelector("input[name=csrfmiddlewaretoken]"); return i ? i.value : ""; }
    function hide() { if (box) { box.remove(); box = null; } }
    function show(text, withButton) {
      hide();
      box = document.createElement("div");
      box.className = "session-warning";
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-live", "assertive");
      var p = document.createElement("p");
      p.textContent = text;
      box.appendChild(p);
      if (withButton) {
        var b = document.createElement("button");
        b.type = "button"; b.className = "button";
        b.textContent = form.getAttribute("data-extend-text") || "";
        b.addEventListener("click", extend);
        box.appendChild(b);
      }
      document.body.appendChild(box);
      if (withButton) { box.querySelector("button").focus(); }
    }
    function schedule(seconds) {
      window.clearTimeout(warnTimer); window.clearTimeout(endTimer);
      warnTimer = window.setTimeout(function () {
        show(form.getAttribute("data-warn-text") || "", true);
      }, Math.max(0, seconds - lead) * 1000);
      endTimer = window.setTimeout(function () {
        show(form.getAttribute("data-expired-text") || "", false);
      }, seconds * 1000);
    }
    function extend() {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.onload = function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status === 200 && data && data.expires_in) { hide(); schedule(data.expires_in); }
        else { show(form.getAttribute("data-expired-text") || "", false); }
      };
      xhr.send();
    }
    schedule(age);
  }

  // --- Uploads: checked before they start, with a progress bar --------------------------------------------------
  function checkFiles(input, form) {
    var max = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var allowed = (input.getAttribute("accept") || "").split(",").filter(function (a) { return a.charAt(0) === "."; });
    var problems = [];
    Array.prototype.forEach.call(input.files || [], function (file) {
      var dot = file.name.lastIndexOf(".");
      var ext = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
      if (allowed.length && allowed.indexOf(ext) === -1) {
        problems.push(file.name + "：" + (form.getAttribute("data-type-text") || ""));
      } else if (max && file.size > max) {
        problems.push(file.name + "：" + (form.getAttribute("data-size-text") || ""));
      }
    });
    var id = input.id + "_client_error";
    var old = document.getElementById(id);
    if (old) { old.remove(); }
    if (problems.length) {
      var p = document.createElement("p");
      p.className = "error-text"; p.id = id; p.setAttribute("role", "alert");
      p.textContent = problems.join("；");
      input.insertAdjacentElement("afterend", p);
      input.setAttribute("aria-describedby", id);
      input.value = "";
    }
  }
  function uploadWithProgress(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0; bar.className = "upload-progress";
    bar.setAttribute("aria-label", form.getAttribute("data-progress-text") || "");
    var buttons = form.querySelector(".step-buttons") || form;
    buttons.parentNode.insertBefore(bar, buttons);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); } };
    xhr.onload = function () {
      // Show the page the server answered with (its messages included) at its own address.
      document.open(); document.write(xhr.responseText); document.close();
      if (xhr.responseURL) { window.history.replaceState(null, "", xhr.responseURL); }
    };
    xhr.onerror = function () { bar.remove(); enable(form); window.alert(form.getAttribute("data-network-text") || ""); };
    xhr.send(data);
  }

  // --- No double submit: the buttons wait for the answer ------------------------------------------------------
  function disable(form, submitter) {
    if (submitter && submitter.name && !form.querySelector("input[type=hidden][data-submitter]")) {
      var h = document.createElement("input");
      h.type = "hidden"; h.name = submitter.name; h.value = submitter.value; h.setAttribute("data-submitter", "");
      form.appendChild(h);
    }
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"), function (b) {
      b.disabled = true; b.setAttribute("aria-busy", "true");
    });
    form.setAttribute("data-busy", "");
  }
  function enable(form) {
    Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) { b.disabled = false; b.removeAttribute("aria-busy"); });
    form.removeAttribute("data-busy");
  }

  document.addEventListener("DOMContentLoaded", function () {
    settlePending();
    // Move focus to the error summary so screen readers and phone users see it first.
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); summary.scrollIntoView({ block: "start" }); }
    // Ask before destructive actions.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); event.stopImmediatePropagation(); }
      });
    });
    // Upper-case the USCC as it is typed.
    document.querySelectorAll("input[name=uscc]").forEach(function (input) {
      input.addEventListener("input", function () { input.value = input.value.toUpperCase().replace(/\s/g, ""); });
    });
    var draftForm = document.querySelector("form[data-draft]");
    if (draftForm) {
      setUpDraft(draftForm);
      guardLeaving(draftForm);
      sessionTimer(draftForm);
      draftForm.querySelectorAll("input[type=file]").forEach(function (input) {
        input.addEventListener("change", function () { checkFiles(input, draftForm); });
      });
    }
    // Every POST form: buttons disabled while the request is in flight; uploads go with a progress bar.
    document.querySelectorAll("form[method=post], form[method=POST]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (event.defaultPrevented) { return; }
        if (form.hasAttribute("data-busy")) { event.preventDefault(); return; }
        var submitter = event.submitter;
        if (form.enctype === "multipart/form-data" && hasChosenFiles(form) && window.FormData && window.XMLHttpRequest) {
          event.preventDefault();
          disable(form, null);
          uploadWithProgress(form, submitter);
          return;
        }
        disable(form, submitter);
      });
    });
    // A page restored from the back/forward cache gets its buttons back.
    window.addEventListener("pageshow", function (e) {
      if (e.persisted) { document.querySelectorAll("form[data-busy]").forEach(enable); }
    });
  });
})();
