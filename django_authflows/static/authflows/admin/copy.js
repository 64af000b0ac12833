"use strict";
// Copy buttons for django_authflows' admin pages. Progressive enhancement: without JavaScript the
// buttons stay hidden and the value can still be selected and copied by hand.
(function () {
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      try {
        if (document.execCommand("copy")) { resolve(); } else { reject(new Error("copy refused")); }
      } catch (error) {
        reject(error);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  function init() {
    document.querySelectorAll("button.authflows-copy[data-copy]").forEach(function (button) {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) { return; }
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(target.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-copied") || "Copied";
        }, function () {
          window.getSelection().selectAllChildren(target);
          button.textContent = button.getAttribute("data-failed") || "Press Ctrl+C";
        }).then(function () {
          window.setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
