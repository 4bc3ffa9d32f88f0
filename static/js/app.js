// Cocreate's only script of its own: wiring for htmx and small comforts.
// Everything works without it; it is loaded with `defer` and no inline script exists.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request that changes something carries the CSRF token in a header.
  document.addEventListener("htmx:configRequest", function (event) {
    var verb = (event.detail.verb || "get").toUpperCase();
    if (verb !== "GET") {
      event.detail.headers["X-CSRFToken"] = csrfToken();
    }
  });

  // A 4xx answer that names its own target (a form with its errors) is swapped there,
  // so a refused reply shows the message next to the text the user typed.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Errors that htmx does not swap (403, 404, 429, 500) are shown as a toast, so a
  // refused vote or reply never fails silently.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var holder = document.createElement("div");
    holder.innerHTML = xhr.responseText || "";
    var text = (holder.textContent || "").trim().replace(/\s+/g, " ");
    showToast(text.slice(0, 300) || "Something went wrong (" + xhr.status + "). Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("Could not reach the server. Check your connection and try again.");
  });

  function showToast(message) {
    var region = document.getElementById("toasts");
    if (!region) {
      region = document.createElement("div");
      region.id = "toasts";
      region.className = "toasts";
      region.setAttribute("role", "alert");
      region.setAttribute("aria-live", "assertive");
      document.body.appendChild(region);
    }
    var toast = document.createElement("div");
    toast.className = "alert alert-error toast";
    toast.textContent = message;
    region.appendChild(toast);
    setTimeout(function () { toast.remove(); }, 6000);
  }

  // Close open menus on Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        menu.removeAttribute("open");
        menu.querySelector("summary").focus();
      });
    }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.removeAttribute("open"); }
    });
  });

  // The ideas inbox, by keyboard: j/k move between ideas, x selects the one in focus,
  // s, t and a jump to the status, tag and owner choices (and pick that action).
  document.addEventListener("keydown", function (event) {
    var inbox = document.querySelector("[data-inbox]");
    var target = event.target;
    if (!inbox || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target.closest("input[type=search], input[type=text], textarea, select")) { return; }
    var rows = Array.prototype.slice.call(inbox.querySelectorAll("[data-inbox-row]"));
    var current = rows.indexOf(target.closest ? target.closest("[data-inbox-row]") : null);
    if (event.key === "j" || event.key === "k") {
      var next = current < 0 ? 0 : current + (event.key === "j" ? 1 : -1);
      if (rows[next]) {
        rows[next].querySelector("input[type=checkbox]").focus();
        event.preventDefault();
      }
    } else if (event.key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[type=checkbox]");
      box.checked = !box.checked;
      event.preventDefault();
    } else {
      var choice = inbox.querySelector('[data-shortcut="' + event.key + '"]');
      if (choice) {
        var action = inbox.querySelector("[data-shortcut-target]");
        if (action) { action.value = choice.getAttribute("data-action"); }
        choice.focus();
        event.preventDefault();
      }
    }
  });

  // The review queue: after a decision replaces an item, focus moves to the next one
  // (or to the message when none is left), so the keyboard never falls to the page top.
  document.addEventListener("htmx:afterSwap", function () {
    var messages = document.querySelectorAll("[data-review-queue] [data-review-decided]");
    var message = messages[messages.length - 1];
    if (!message || message.hasAttribute("data-seen")) { return; }
    message.setAttribute("data-seen", "");
    var next = message.nextElementSibling;
    while (next && !next.hasAttribute("data-review-item")) { next = next.nextElementSibling; }
    next = next || document.querySelector("[data-review-queue] [data-review-item]");
    var target = next || message;
    target.setAttribute("tabindex", "-1");
    target.focus();
  });
})();
