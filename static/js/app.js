// CreatorCompass page behaviour on top of htmx: celebrations as real modal dialogs, and one
// visible, announced message for any htmx request that fails (htmx swaps nothing then).
(function () {
  "use strict";

  // The celebration arrives rendered `open` (it shows without JavaScript); upgrade it to a
  // modal: focus stays inside, Escape closes it, the page behind is inert.
  function showCelebrations(root) {
    root.querySelectorAll("dialog.celebration").forEach(function (dialog) {
      if (dialog.matches(":modal")) { return; }
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.removeAttribute("open");  // close() would queue a "close" event that removes it
      dialog.showModal();
    });
  }

  function toast(text) {
    var region = document.getElementById("toast");
    region.textContent = text;
    region.hidden = false;
    clearTimeout(region._hide);
    region._hide = setTimeout(function () { region.hidden = true; }, 8000);
  }

  // A form marked data-download (the roadmap export) downloads its file without leaving the
  // page, then fires "usage-changed" so the meters on the page reload themselves (htmx). A
  // refusal answers with a page (a redirect with the message): show that page.
  function filenameOf(response) {
    var match = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : "download";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-download]") || !window.fetch) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(function (response) {
      if (!/attachment/.test(response.headers.get("Content-Disposition") || "")) {
        window.location.assign(response.url);
        return;
      }
      return response.blob().then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = filenameOf(response);
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
        document.body.dispatchEvent(new CustomEvent("usage-changed", { bubbles: true }));
      });
    }).catch(function () {
      toast("We could not reach CreatorCompass. Check your connection and try again.");
    });
  });

  // Pre-select the browser's time zone when the person has not picked one (signup).
  function guessTimezone() {
    var tz = document.querySelector("select[data-guess-timezone]");
    var guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (tz && tz.value === "UTC" && guess && tz.querySelector('option[value="' + guess + '"]')) { tz.value = guess; }
  }

  // Behaviour that used to be inline handlers (the Content-Security-Policy allows no inline
  // script): delegated, so it works on fragments htmx swaps in.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm], [data-close-dialog], [data-select-on-click], [data-copy-from]");
    if (!target) { return; }
    if (target.hasAttribute("data-confirm") && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    } else if (target.hasAttribute("data-close-dialog")) {
      target.closest("dialog").close();
    } else if (target.hasAttribute("data-select-on-click")) {
      target.select();
    } else if (target.hasAttribute("data-copy-from")) {
      var source = document.getElementById(target.getAttribute("data-copy-from"));
      navigator.clipboard.writeText(source.value).then(function () { target.textContent = "Copied"; });
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.matches && form.matches("form[data-reset-on-created]") && event.detail.xhr.status === 201) { form.reset(); }
  });

  document.addEventListener("DOMContentLoaded", function () { showCelebrations(document); guessTimezone(); });
  document.addEventListener("htmx:afterSettle", function (event) { showCelebrations(document); });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    toast(status === 429 ? "Too many requests: wait a moment and try again."
      : status >= 500 ? "Something went wrong on our side (" + status + "). Nothing was saved twice: please try again."
      : "That did not work (" + status + "). Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("We could not reach CreatorCompass. Check your connection and try again.");
  });
  document.addEventListener("htmx:timeout", function () {
    toast("CreatorCompass is taking too long to answer. Please try again.");
  });
})();
